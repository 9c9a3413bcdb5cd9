import type { KeepAliveHttp } from './http.js'

/** The token endpoint refused or could not be reached; nothing was sent to Teams. */
export class TokenUnavailable extends Error {
  override name = 'TokenUnavailable'
  constructor(
    message: string,
    /** The endpoint's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(message)
  }
}

export interface AccessTokenOptions {
  tokenUrl: string
  appId: string
  appPassword: string
  /** `<resource>/.default`; the connector accepts tokens for https://api.botframework.com. */
  scope: string
  now?: () => number
}

interface Cached {
  token: string
  /** When to fetch a new one: shortly before the real expiry. */
  renewAt: number
}

/** Tokens are renewed this long before they expire, so a send never carries one that dies on the way. */
const RENEW_MARGIN_MS = 5 * 60_000

/**
 * The bot's bearer token for the Bot Connector (Entra client_credentials), cached until shortly
 * before it expires. Concurrent sends share one request for it; a 401 from the connector drops
 * the token it was sent with, so the next call fetches a new one.
 */
export class AccessTokens {
  #cached: Cached | undefined
  #inflight: Promise<Cached> | undefined
  readonly #now: () => number

  constructor(
    private readonly options: AccessTokenOptions,
    private readonly http: KeepAliveHttp,
  ) {
    this.#now = options.now ?? Date.now
  }

  async get(): Promise<string> {
    const cached = this.#cached
    if (cached && this.#now() < cached.renewAt) return cached.token
    this.#inflight ??= this.#fetch().finally(() => (this.#inflight = undefined))
    return (await this.#inflight).token
  }

  /** Forgets `token` (the connector refused it); a newer one fetched meanwhile is kept. */
  invalidate(token: string): void {
    if (this.#cached?.token === token) this.#cached = undefined
  }

  async #fetch(): Promise<Cached> {
    const { tokenUrl, appId, appPassword, scope } = this.options
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: appPassword, scope })
    const requestedAt = this.#now()
    let response
    try {
      response = await this.http.request(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })
    } catch (error) {
      throw new TokenUnavailable(`token endpoint unreachable: ${(error as Error).message}`)
    }
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(response.body) as Record<string, unknown>
    } catch {
      // described below from the status alone
    }
    if (response.status !== 200 || typeof body.access_token !== 'string') {
      // AAD's error_description names the problem (AADSTS7000215: invalid secret…) and never the secret.
      const detail = typeof body.error_description === 'string' ? body.error_description.split(' Trace ID:')[0] : typeof body.error === 'string' ? body.error : 'no token'
      throw new TokenUnavailable(`token endpoint answered ${response.status}: ${detail}`, response.status)
    }
    const ttlMs = (typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in) || 3600) * 1000
    const margin = Math.min(RENEW_MARGIN_MS, ttlMs / 2)
    this.#cached = { token: body.access_token, renewAt: requestedAt + ttlMs - margin }
    return this.#cached
  }
}
