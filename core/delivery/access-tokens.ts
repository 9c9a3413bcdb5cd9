import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'

/** A token as the token endpoint issued it. */
export interface IssuedToken {
  token: string
  expiresInSeconds: number
}

/** The token endpoint refused or could not be reached; nothing was sent with it. */
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
  /** Asks the platform for a new token (WeChat invalidates the previous one, after a few minutes' overlap). */
  issue: () => Promise<IssuedToken>
  /** Whose token it is, for the logs ("WeChat", "Teams"). */
  label: string
  /**
   * Where replicas share the token: where each fetch cuts off the tokens fetched before (WeChat),
   * replicas fetching their own would keep cutting each other off. `key` is per tenant and app.
   */
  shared?: { redis: Redis; key: string }
  /** How long to wait for another replica's refresh before fetching one ourselves. */
  waitForPeerMs: number
  log: Logger
  now?: () => number
}

interface Cached {
  token: string
  /** When to fetch a new one: shortly before the real expiry. */
  renewAt: number
}

/** Tokens are renewed this long before they expire, so a send never carries one that dies on the way. */
const RENEW_MARGIN_MS = 5 * 60_000
const POLL_MS = 100

/** Deletes the shared token only if it is still the one a send was refused with (a newer one is kept). */
const DROP_IF_SAME = `local v = redis.call('get', KEYS[1])
if v and string.sub(v, (string.find(v, ':', 1, true) or -1) + 1) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`

/** Releases the refresh lock only if it is still ours (it may have expired and gone to another replica). */
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`

/**
 * A channel's access token for its platform's API: cached, fetched by one caller at a time,
 * renewed ahead of expiry, and dropped when the platform refuses it (WeChat 40001/42001, a 401).
 * With `shared` every replica uses the one token in Redis and a short lock makes one of them the
 * refresher; without it (or while Redis is down) each replica keeps its own. The token is never
 * logged and never put in an error.
 */
export class AccessTokens {
  #cached: Cached | undefined
  #inflight: Promise<Cached> | undefined
  readonly #now: () => number

  constructor(private readonly options: AccessTokenOptions) {
    this.#now = options.now ?? Date.now
  }

  async get(): Promise<string> {
    if (this.#fresh(this.#cached)) return this.#cached!.token
    this.#inflight ??= this.#obtain().finally(() => (this.#inflight = undefined))
    return (await this.#inflight).token
  }

  /** Forgets `token` (the platform refused it); a newer one fetched meanwhile is kept, here and in Redis. */
  async invalidate(token: string): Promise<void> {
    if (this.#cached?.token === token) this.#cached = undefined
    const { shared } = this.options
    if (shared) await shared.redis.eval(DROP_IF_SAME, 1, shared.key, token).catch((error: Error) => this.#redisDown(error))
  }

  #fresh(cached: Cached | undefined): cached is Cached {
    return cached !== undefined && this.#now() < cached.renewAt
  }

  async #obtain(): Promise<Cached> {
    const cached = this.options.shared ? await this.#fromPeers() : await this.#issue()
    this.#cached = cached
    return cached
  }

  async #issue(): Promise<Cached> {
    const issuedAt = this.#now()
    const { token, expiresInSeconds } = await this.options.issue()
    const ttlMs = expiresInSeconds * 1000
    return { token, renewAt: issuedAt + ttlMs - Math.min(RENEW_MARGIN_MS, ttlMs / 2) }
  }

  /** The shared token, or a new one fetched by whichever replica takes the lock first. */
  async #fromPeers(): Promise<Cached> {
    const { redis, key } = this.options.shared!
    const lock = { key: `${key}:lock`, owner: randomUUID() }
    try {
      const deadline = this.#now() + this.options.waitForPeerMs
      for (;;) {
        const stored = parse(await redis.get(key))
        if (this.#fresh(stored)) return stored
        if ((await redis.set(lock.key, lock.owner, 'PX', this.options.waitForPeerMs, 'NX')) === 'OK') break
        if (this.#now() >= deadline) {
          this.options.log.warn(`no replica refreshed the ${this.options.label} access token in time; fetching one here`)
          return await this.#issue()
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      }
    } catch (error) {
      if (error instanceof TokenUnavailable) throw error
      this.#redisDown(error as Error)
      return this.#issue()
    }
    try {
      const issued = await this.#issue()
      const ttl = issued.renewAt - this.#now()
      if (ttl > 0) await redis.set(key, `${issued.renewAt}:${issued.token}`, 'PX', ttl).catch((error: Error) => this.#redisDown(error))
      return issued
    } finally {
      await redis.eval(RELEASE_LOCK, 1, lock.key, lock.owner).catch((error: Error) => this.#redisDown(error))
    }
  }

  #redisDown(error: Error): void {
    this.options.log.warn({ err: { message: error.message } }, `Redis unavailable for the ${this.options.label} access token; using this replica’s own`)
  }
}

/** `<renewAt ms>:<token>` as stored in Redis. */
function parse(value: string | null): Cached | undefined {
  if (!value) return undefined
  const colon = value.indexOf(':')
  const renewAt = Number(value.slice(0, colon))
  return colon > 0 && Number.isFinite(renewAt) ? { token: value.slice(colon + 1), renewAt } : undefined
}
