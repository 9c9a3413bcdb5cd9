import { request, type Agent, type ClientRequest, type IncomingMessage } from 'node:http'
import { performance } from 'node:perf_hooks'

/** Failures a retry policy can name: no connection, no timely answer, or an HTTP error status. */
export type RetryClass = 'ct' | 'rt' | '4xx' | '5xx'

/** How Twilio treats one webhook URL: its timeouts and retries (channels.md §4.1, connection overrides). */
export interface ConnectionSettings {
  /** Per attempt, to establish the TCP connection. */
  connectTimeoutMs: number
  /** After the request is sent, for the first response bytes and between later ones. */
  readTimeoutMs: number
  /** All attempts of one request together. */
  totalTimeoutMs: number
  /** Attempts after the first. */
  retryCount: number
  /** Which failures are retried. */
  retryPolicy: RetryClass[]
}

/**
 * Twilio's documented defaults: 5 s to connect (tried twice: the "10 seconds" of error 11205), 15 s
 * to answer, 15 s in all, one retry. Twilio does not document the default policy; Plivo, which
 * copied the scheme, documents `ct,rt`.
 */
export const DEFAULT_CONNECTION: ConnectionSettings = {
  connectTimeoutMs: 5_000,
  readTimeoutMs: 15_000,
  totalTimeoutMs: 15_000,
  retryCount: 1,
  retryPolicy: ['ct', 'rt'],
}

/** The documented ranges of the `#ct=…&rt=…&tt=…&rc=…` overrides; values outside are clamped. */
const RANGES = { ct: [100, 10_000], rt: [100, 15_000], tt: [100, 15_000], rc: [0, 5] } as const

/** A webhook URL split into what is sent (fragments are never sent, nor signed) and the overrides its fragment sets. */
export function connectionOverrides(url: string, defaults: ConnectionSettings): { url: string; settings: ConnectionSettings } {
  const hash = url.indexOf('#')
  if (hash < 0) return { url, settings: defaults }
  const settings = { ...defaults }
  for (const [key, value] of new URLSearchParams(url.slice(hash + 1))) {
    if (key === 'rp') {
      const classes = value === 'all' ? (['ct', 'rt', '4xx', '5xx'] as const) : value.split(',').filter(isRetryClass)
      settings.retryPolicy = [...classes]
      continue
    }
    if (!(key in RANGES)) continue
    const [min, max] = RANGES[key as keyof typeof RANGES]
    const number = Math.min(max, Math.max(min, Math.trunc(Number(value))))
    if (!Number.isFinite(number)) continue
    if (key === 'ct') settings.connectTimeoutMs = number
    else if (key === 'rt') settings.readTimeoutMs = number
    else if (key === 'tt') settings.totalTimeoutMs = number
    else settings.retryCount = number
  }
  return { url: url.slice(0, hash), settings }
}

const isRetryClass = (value: string): value is RetryClass => value === 'ct' || value === 'rt' || value === '4xx' || value === '5xx'

/** The class a failed attempt falls in, for the retry policy. */
export function failureClass(result: AttemptResult): RetryClass | undefined {
  if (result.kind === 'failure') return result.failure
  if (result.kind === 'response' && result.status >= 500) return '5xx'
  if (result.kind === 'response' && result.status >= 400) return '4xx'
  return undefined
}

export interface WireRequest {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
}

export type AttemptResult =
  | { kind: 'response'; status: number; contentType?: string; body: string; latencyMs: number }
  | { kind: 'failure'; failure: 'ct' | 'rt'; detail: string; latencyMs: number }
  | { kind: 'aborted'; latencyMs: number }

/**
 * One HTTP attempt under Twilio's timers: connect (only for a new socket, a reused keep-alive one
 * is already connected), read (re-armed by every chunk) and the request's remaining total budget.
 * Every timer is cleared when the attempt settles, so a closed fake leaves none behind.
 */
export function sendAttempt(
  agent: Agent,
  wire: WireRequest,
  limits: { connectMs: number; readMs: number; totalMs: number },
  signal: AbortSignal,
): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    const timers = new Set<NodeJS.Timeout>()
    let connected = false
    let settled = false
    let readTimer: NodeJS.Timeout | undefined

    const settle = (result: AttemptResult) => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      signal.removeEventListener('abort', abort)
      resolve(result)
    }
    const fail = (failure: 'ct' | 'rt', detail: string) => {
      settle({ kind: 'failure', failure, detail, latencyMs: elapsed() })
      req.destroy()
    }
    const timer = (ms: number, onTimeout: () => void) => {
      const handle = setTimeout(() => {
        timers.delete(handle)
        onTimeout()
      }, ms)
      timers.add(handle)
      return handle
    }
    const armRead = () => {
      if (readTimer) {
        clearTimeout(readTimer)
        timers.delete(readTimer)
      }
      readTimer = timer(limits.readMs, () => fail('rt', `no answer within the ${limits.readMs} ms read timeout`))
    }
    const abort = () => {
      settle({ kind: 'aborted', latencyMs: elapsed() })
      req.destroy()
    }

    let req: ClientRequest
    try {
      req = request(wire.url, { method: wire.method, headers: wire.headers, agent }, answered)
    } catch (error) {
      // An unusable URL (another protocol, a bad host) fails like a connection that cannot be made.
      return settle({ kind: 'failure', failure: 'ct', detail: (error as Error).message, latencyMs: elapsed() })
    }
    function answered(res: IncomingMessage) {
      armRead()
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        armRead()
      })
      res.on('end', () =>
        settle({
          kind: 'response',
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
          latencyMs: elapsed(),
        }),
      )
      res.on('close', () => {
        if (!res.complete) fail('rt', 'the connection closed in the middle of the answer')
      })
    }
    req.on('socket', (socket) => {
      if (!socket.connecting) {
        connected = true
        return
      }
      const connectTimer = timer(limits.connectMs, () => fail('ct', `no connection within the ${limits.connectMs} ms connect timeout`))
      socket.once('connect', () => {
        connected = true
        clearTimeout(connectTimer)
        timers.delete(connectTimer)
      })
    })
    req.on('finish', armRead)
    req.on('error', (error: NodeJS.ErrnoException) => fail(connected ? 'rt' : 'ct', error.code ?? error.message))
    timer(limits.totalMs, () => fail('rt', `no answer within the request's ${limits.totalMs} ms total time`))
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    req.end(wire.body)
  })
}
