import type { Redis } from 'ioredis'
import type { Logger } from 'pino'

export interface ReplayGuardOptions {
  /** How long a (timestamp, nonce) pair is remembered. */
  ttlSeconds: number
  /** Shared by every replica when the gateway has Redis; `prefix` is per tenant and instance. */
  shared?: { redis: Redis; prefix: string }
  /** Pairs kept in memory (without Redis, or while it is down); the oldest go first. */
  maxEntries?: number
  log: Logger
  now?: () => number
}

interface Seen {
  digest: string
  expiresAt: number
}

/**
 * Remembers the signed (timestamp, nonce) of every authentic callback with a digest of its body.
 * WeChat's own retries repeat the request byte for byte, so the same pair with the same body
 * passes (the inbox answers it as a duplicate); the same pair with another body is a captured
 * query string replayed with a body of someone else's making — which in plain mode nothing else
 * could detect — and is refused. WeCom promises a nonce is not reused within 2 hours.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, Seen>()
  readonly #now: () => number
  readonly #max: number

  constructor(private readonly options: ReplayGuardOptions) {
    this.#now = options.now ?? Date.now
    this.#max = options.maxEntries ?? 100_000
  }

  /** False when this (timestamp, nonce) came before with a different body. */
  async admit(timestamp: string, nonce: string, digest: string): Promise<boolean> {
    const key = `${timestamp}:${nonce}`
    const { shared } = this.options
    if (shared) {
      try {
        const redisKey = `${shared.prefix}:${key}`
        if ((await shared.redis.set(redisKey, digest, 'EX', this.options.ttlSeconds, 'NX')) === 'OK') return true
        const earlier = await shared.redis.get(redisKey)
        return earlier === null || earlier === digest
      } catch (error) {
        this.options.log.warn({ err: { message: (error as Error).message } }, 'Redis unavailable for the WeChat replay check; checking this replica’s own')
      }
    }
    return this.#admitLocally(key, digest)
  }

  #admitLocally(key: string, digest: string): boolean {
    const now = this.#now()
    // Every entry lives equally long, so the oldest inserted expire first.
    for (const [oldest, seen] of this.#seen) {
      if (seen.expiresAt > now && this.#seen.size < this.#max) break
      this.#seen.delete(oldest)
    }
    const earlier = this.#seen.get(key)
    if (earlier && earlier.expiresAt > now) return earlier.digest === digest
    this.#seen.delete(key)
    this.#seen.set(key, { digest, expiresAt: now + this.options.ttlSeconds * 1000 })
    return true
  }
}
