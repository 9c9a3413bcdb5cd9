import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible'
import { tenantKey } from '../../core/redis/keyspace.js'

const HOUR = 3600
const DAY = 24 * HOUR

/**
 * A tenant's token allowance per hour and per day. A call is let through while every window has
 * tokens left and pays afterwards with what it actually used, so the last call of a window may
 * overshoot; windows are fixed and start at the first spend.
 */
export class TokenBudget {
  /**
   * One budget per tenant and budget setting for the life of the process: a reload (which a
   * tenant admin may trigger) rebuilds the plugin but must not hand the tenant a fresh allowance.
   */
  static #shared = new Map<string, TokenBudget>()

  static of(tenant: string, budget: { tokensPerHour?: number | undefined; tokensPerDay?: number | undefined }, redis?: Redis): TokenBudget {
    // With Redis the counts live there, shared by every replica and surviving restarts too.
    if (redis) return new TokenBudget(tenant, budget, redis)
    const key = `${tenant}\u0000${budget.tokensPerHour ?? '-'}\u0000${budget.tokensPerDay ?? '-'}`
    let found = TokenBudget.#shared.get(key)
    if (!found) TokenBudget.#shared.set(key, (found = new TokenBudget(tenant, budget)))
    return found
  }

  readonly #windows: { limiter: RateLimiterMemory | RateLimiterRedis; points: number }[]

  private constructor(
    private readonly key: string,
    budget: { tokensPerHour?: number | undefined; tokensPerDay?: number | undefined },
    redis?: Redis,
  ) {
    this.#windows = [
      [budget.tokensPerHour, HOUR],
      [budget.tokensPerDay, DAY],
    ]
      .filter((w): w is [number, number] => w[0] !== undefined)
      .map(([points, duration]) => {
        const local = new RateLimiterMemory({ points, duration, keyPrefix: `llm-budget-${duration}` })
        if (!redis) return { limiter: local, points }
        // While Redis is unreachable each replica counts on its own, as the message limits do.
        const keyPrefix = tenantKey(key, 'llm-budget', `${duration}s`)
        return { limiter: new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, insuranceLimiter: local, rejectIfRedisNotReady: true }), points }
      })
  }

  /** Tokens left in the tightest window; undefined when the tenant set no budget. */
  async remaining(): Promise<number | undefined> {
    if (this.#windows.length === 0) return undefined
    const left = await Promise.all(
      this.#windows.map(async ({ limiter, points }) => {
        const used = (await limiter.get(this.key))?.consumedPoints ?? 0
        return Math.max(0, points - used)
      }),
    )
    return Math.min(...left)
  }

  /** Gives back tokens held for a call that used fewer (or none). */
  async refund(tokens: number): Promise<void> {
    if (tokens <= 0) return
    await Promise.all(this.#windows.map(({ limiter }) => limiter.reward(this.key, tokens)))
  }

  async spend(tokens: number): Promise<void> {
    if (tokens <= 0) return
    // penalty() records without refusing: the tokens are already spent, the next call is what gets refused.
    await Promise.all(this.#windows.map(({ limiter }) => limiter.penalty(this.key, tokens)))
  }

}
