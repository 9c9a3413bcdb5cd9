import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { Telegram, TelegramError } from 'telegraf'
import type { Opts, Telegram as Methods } from 'telegraf/types'

/** How a Bot API call failed, by what it means for trying again. */
export type ApiFailure =
  /** Telegram answered `ok: false` (4xx): it did not do it, and says why. */
  | { kind: 'refused'; code: number; description: string; retryAfterMs?: number; migrateTo?: string }
  /** It may have been done: a 5xx, a timeout or a connection lost after the request was written. */
  | { kind: 'ambiguous'; reason: string }
  /** It never reached Telegram (connection refused, DNS): safe to send again. */
  | { kind: 'unreached'; reason: string }

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly failure: ApiFailure,
  ) {
    super(`${method}: ${failure.kind === 'refused' ? `${failure.code} ${failure.description}` : failure.reason}`)
    this.name = 'TelegramApiError'
  }
}

/** Errors node-fetch reports before a single byte of the request left this host. */
const UNREACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL'])

export interface ClientOptions {
  botToken: string
  apiRoot: string
  requestTimeoutMs: number
}

/**
 * The Bot API through telegraf's `Telegram` client (its types and wire handling), without the
 * heavy per-update `Context`: every call has a deadline and is aborted when the channel stops,
 * every failure is classified for the outbox, and connections are kept alive on an agent the
 * channel owns and destroys.
 */
export class TelegramClient {
  readonly #api: Telegram
  readonly #agent: HttpAgent
  readonly #timeoutMs: number
  /** Aborts every call still in flight when the channel stops. */
  readonly #closed = new AbortController()

  constructor(options: ClientOptions) {
    this.#agent = options.apiRoot.startsWith('https:') ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })
    this.#api = new Telegram(options.botToken, { apiRoot: options.apiRoot, agent: this.#agent, webhookReply: false })
    // telegraf's constructor drops *any* agent when apiRoot is http:// (it meant its default https
    // one): without this, calls would go through Node's global agent, whose sockets nobody closes.
    this.#api.options.agent = this.#agent
    this.#timeoutMs = options.requestTimeoutMs
  }

  /**
   * One Bot API call; rejects with ApiError. `timeoutMs` replaces the configured deadline (long
   * polls), `signal` aborts it early (a stopping poll loop).
   */
  async call<M extends keyof Methods>(method: M, payload: Opts<M>, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ReturnType<Methods[M]>> {
    const signals = [this.#closed.signal, options.signal].filter((s): s is AbortSignal => s !== undefined)
    if (signals.some((s) => s.aborted)) throw new ApiError(method, { kind: 'unreached', reason: 'stopped before the call' })
    // One controller per call, listeners removed after: AbortSignal.any() on long-lived signals leaks on Node 20 (nodejs/node#55351).
    const controller = new AbortController()
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    let reason = 'aborted'
    const abort = (why: string) => () => {
      reason = why
      controller.abort()
    }
    const timer = setTimeout(abort(`no answer within ${timeoutMs} ms`), timeoutMs)
    const stop = abort('stopped mid-call')
    for (const s of signals) s.addEventListener('abort', stop, { once: true })
    try {
      return await this.#api.callApi(method, payload, { signal: controller.signal as PolyfillSignal })
    } catch (error) {
      throw new ApiError(method, classify(error, reason))
    } finally {
      clearTimeout(timer)
      for (const s of signals) s.removeEventListener('abort', stop)
    }
  }

  /** Aborts calls in flight and closes kept-alive connections; later calls fail as `unreached`. */
  close(): void {
    this.#closed.abort()
    this.#agent.destroy()
  }
}

/** telegraf types `signal` with the abort-controller polyfill; node-fetch accepts Node's own. */
type PolyfillSignal = NonNullable<NonNullable<Parameters<Telegram['callApi']>[2]>['signal']>

/**
 * What telegraf 4.16 throws: `TelegramError` for every `ok: false` answer and for any HTTP status
 * ≥ 500 (its description is then the status text), node-fetch's `AbortError` when aborted, and
 * node-fetch's `FetchError` (type `system` with the socket's errno code, or `invalid-json` when
 * the answer was not the Bot API's JSON) for everything else.
 */
export function classify(error: unknown, abortReason?: string): ApiFailure {
  if (error instanceof TelegramError) {
    if (error.code >= 500) return { kind: 'ambiguous', reason: `${error.code} ${error.description}` }
    const { retry_after: retryAfter, migrate_to_chat_id: migrateTo } = error.parameters ?? {}
    return {
      kind: 'refused',
      code: error.code,
      description: error.description,
      ...(typeof retryAfter === 'number' ? { retryAfterMs: retryAfter * 1000 } : {}),
      ...(typeof migrateTo === 'number' ? { migrateTo: String(migrateTo) } : {}),
    }
  }
  const { name, type, code, message } = (error ?? {}) as { name?: string; type?: string; code?: string; message?: string }
  if (name === 'AbortError' || type === 'aborted') return { kind: 'ambiguous', reason: abortReason ?? 'aborted' }
  if (type === 'system' && code && UNREACHED.has(code)) return { kind: 'unreached', reason: code }
  return { kind: 'ambiguous', reason: code ?? type ?? message ?? String(error) }
}
