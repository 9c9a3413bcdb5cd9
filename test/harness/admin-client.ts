/**
 * A small client for the admin API at /admin/v1, for tests that read like an operator talking to
 * it: `await admin.get('/tenants', { key })` → `{ status, body, headers, text }`.
 */
export interface AdminCallOptions {
  /** Sent as `Authorization: Bearer <key>`: an `sb_…` key or a JWT. */
  key?: string
  /** Sent as JSON with `Content-Type: application/json`. */
  body?: unknown
  /** Sent as is; give a Content-Type in `headers` (none is added). */
  rawBody?: string | Uint8Array
  headers?: Record<string, string>
  /** Gives up (rejects) after this long; default: wait as long as the test does. */
  timeoutMs?: number
}

export interface AdminResponse<T = any> {
  status: number
  /** The parsed JSON body; for JSONL, the parsed lines; otherwise undefined. */
  body: T
  headers: Headers
  text: string
}

export class AdminClient {
  constructor(
    /** The gateway's base URL, e.g. http://127.0.0.1:1234 */
    readonly baseUrl: string,
    readonly prefix = '/admin/v1',
  ) {}

  get<T = any>(path: string, options: AdminCallOptions = {}): Promise<AdminResponse<T>> {
    return this.request<T>('GET', path, options)
  }

  post<T = any>(path: string, options: AdminCallOptions = {}): Promise<AdminResponse<T>> {
    return this.request<T>('POST', path, options)
  }

  delete<T = any>(path: string, options: AdminCallOptions = {}): Promise<AdminResponse<T>> {
    return this.request<T>('DELETE', path, options)
  }

  async request<T = any>(method: string, path: string, options: AdminCallOptions = {}): Promise<AdminResponse<T>> {
    const headers: Record<string, string> = { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}) }
    let body: string | Uint8Array | undefined
    if (options.rawBody !== undefined) body = options.rawBody
    else if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    Object.assign(headers, options.headers)
    const url = /^https?:/.test(path) ? path : `${this.baseUrl}${this.prefix}${path}`
    const response = await fetch(url, { method, headers, body, ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}) })
    const text = await response.text()
    const type = response.headers.get('content-type') ?? ''
    let parsed: unknown
    try {
      if (type.includes('application/x-ndjson')) parsed = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line))
      else if (type.includes('json') && text !== '') parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text }
  }
}
