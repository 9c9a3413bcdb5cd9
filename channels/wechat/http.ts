import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

export interface HttpAnswer {
  status: number
  body: string
}

/**
 * A request that got no answer. `sent` says whether the whole request had left this host: before
 * that WeChat cannot have acted on it (safe to send again); after it a send may have reached the
 * user. Messages name the host and path only, never the query, which carries the access token.
 */
export class HttpFailure extends Error {
  override name = 'HttpFailure'
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super(message)
  }
}

/** WeChat's JSON answers are small; anything larger is not an answer we can use. */
const MAX_ANSWER_BYTES = 256 * 1024
/** Idle sockets close before WeChat's front ends close them, so a reused socket is never one being torn down. */
const IDLE_SOCKET_MS = 4000
/** Failures before a connection existed: nothing reached WeChat, whatever had been written. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'])

/**
 * HTTP on keep-alive agents this channel instance owns, so stopping it closes every connection it
 * opened. Every request is abandoned after `timeoutMs`.
 */
export class KeepAliveHttp {
  readonly #http = new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS, maxSockets: 32, scheduling: 'lifo' })
  readonly #https = new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS, maxSockets: 32, scheduling: 'lifo' })
  #destroyed = false

  constructor(private readonly timeoutMs: number) {}

  request(url: URL, init: { method: 'GET' | 'POST'; json?: unknown }): Promise<HttpAnswer> {
    const where = `${url.host}${url.pathname}`
    if (this.#destroyed) return Promise.reject(new HttpFailure(`${where}: the channel is stopped`, false))
    const secure = url.protocol === 'https:'
    const body = init.json === undefined ? undefined : Buffer.from(JSON.stringify(init.json), 'utf8')
    return new Promise<HttpAnswer>((resolve, reject) => {
      let sent = false
      let settled = false
      const settle = (failure: HttpFailure | undefined, answer?: HttpAnswer) => {
        if (settled) return
        settled = true
        if (failure) reject(failure)
        else resolve(answer!)
      }
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: init.method,
          agent: secure ? this.#https : this.#http,
          signal: AbortSignal.timeout(this.timeoutMs),
          headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (chunk: Buffer) => {
            size += chunk.length
            if (size > MAX_ANSWER_BYTES) return res.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`))
            chunks.push(chunk)
          })
          res.on('end', () => settle(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
          // The status line came, so WeChat had the request; a cut answer is still an answer (an unreadable one).
          res.on('error', () => settle(undefined, { status: res.statusCode ?? 0, body: '' }))
        },
      )
      req.on('finish', () => (sent = true))
      req.on('error', (error: NodeJS.ErrnoException) => {
        const timedOut = error.name === 'AbortError'
        const reason = timedOut ? `no answer within ${this.timeoutMs} ms` : (error.code ?? error.message)
        settle(new HttpFailure(`${where}: ${reason}`, sent && !NOT_CONNECTED.has(error.code ?? '')))
      })
      req.end(body)
    })
  }

  /** Closes every connection, idle or in use; later requests fail at once, unsent. */
  destroy(): void {
    this.#destroyed = true
    this.#http.destroy()
    this.#https.destroy()
  }
}
