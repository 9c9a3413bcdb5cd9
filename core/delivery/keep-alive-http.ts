import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * A request that got no answer. `sent` says whether the request had been handed to the network
 * in full: before that nothing can have reached the server (safe to repeat); after it the server
 * may have acted on it (a POST is then ambiguous).
 */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
    readonly code?: string,
  ) {
    super(message)
    this.name = 'HttpFailure'
  }
}

export interface HttpRequest {
  method: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
}

/**
 * Idle keep-alive sockets are closed after this long, before the usual server-side idle timeouts
 * (Node 5 s, the platforms' front doors longer): reusing a socket the server is closing at that
 * instant would turn a harmless race into an ambiguous send.
 */
const IDLE_SOCKET_MS = 4000

export interface KeepAliveHttpOptions {
  /** Every request is abandoned after this long (a send is then ambiguous, if it had been written). */
  timeoutMs: number
  /** Connections per host. */
  maxSockets?: number
  /** The platforms answer with small JSON; more is not an answer a channel can use. */
  maxResponseBytes?: number
}

/**
 * HTTP with keep-alive agents a channel instance owns, so stopping it closes every connection it
 * opened (global fetch pools cannot be closed per owner). Failures name the host only, never the
 * path or query, which may carry a token.
 */
export class KeepAliveHttp {
  readonly #http: HttpAgent
  readonly #https: HttpsAgent
  readonly #timeoutMs: number
  readonly #maxResponseBytes: number
  #destroyed = false

  constructor({ timeoutMs, maxSockets = 64, maxResponseBytes = 1_048_576 }: KeepAliveHttpOptions) {
    this.#timeoutMs = timeoutMs
    this.#maxResponseBytes = maxResponseBytes
    this.#http = new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS, maxSockets, scheduling: 'lifo' })
    this.#https = new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS, maxSockets, scheduling: 'lifo' })
  }

  request(url: string | URL, init: HttpRequest): Promise<HttpResponse> {
    if (this.#destroyed) return Promise.reject(new HttpFailure('the channel is stopped', false, 'ESTOPPED'))
    const target = new URL(url)
    const secure = target.protocol === 'https:'
    const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8')
    return new Promise<HttpResponse>((resolve, reject) => {
      let sent = false
      let settled = false
      const finish = (error?: HttpFailure, response?: HttpResponse) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (error) reject(error)
        else resolve(response!)
      }
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: init.method,
          agent: secure ? this.#https : this.#http,
          headers: { accept: 'application/json', ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (chunk: Buffer) => {
            size += chunk.length
            if (size > this.#maxResponseBytes) return res.destroy(new Error(`response larger than ${this.#maxResponseBytes} bytes`))
            chunks.push(chunk)
          })
          res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
          // The status line arrived, so the server had the request; a cut body is still an answer.
          res.on('error', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: '' }))
        },
      )
      const timer = setTimeout(() => {
        finish(new HttpFailure(`no answer from ${target.host} within ${this.#timeoutMs} ms`, sent, 'ETIMEDOUT'))
        req.destroy()
      }, this.#timeoutMs)
      req.on('finish', () => (sent = true))
      req.on('error', (error: NodeJS.ErrnoException) => finish(new HttpFailure(`${target.host}: ${error.message}`, sent && !CONNECT_ERRORS.has(error.code ?? ''), error.code)))
      req.end(body)
    })
  }

  /** Closes every connection, idle or in use; later requests fail at once. */
  destroy(): void {
    this.#destroyed = true
    this.#http.destroy()
    this.#https.destroy()
  }
}

/** Failures that happen before a connection exists: nothing was delivered, whatever `finish` said. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'])

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
export function retryAfterMs(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const value = headers['retry-after']
  if (typeof value !== 'string' || value.trim() === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
