import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { tenantKey } from '../redis/keyspace.js'

/** A platform's documented send limit: `points` sends per `seconds`. */
export interface RateRule {
  points: number
  seconds: number
}

export interface RateGovernor {
  /**
   * Takes one send from each named bucket, keyed per call (`{ chat: '42', bot: 'all' }`). Returns
   * 0 when the send may go now, otherwise the milliseconds until every bucket has room — and then
   * nothing is taken, so a send that waits does not also use up the room it waits for.
   */
  take(keys: Readonly<Record<string, string | undefined>>): Promise<number>
}

/**
 * Outbound token buckets of one channel instance, mirroring the platform's limits so the gateway
 * slows itself down before the platform has to answer 429. With Redis every replica draws on the
 * same buckets; while Redis is down each falls back to its own (briefly up to replicas × the limit).
 */
export function createRateGovernor(owner: { tenant: string; instance: string; redis?: Redis }, rules: Readonly<Record<string, RateRule>>): RateGovernor {
  const limiters = new Map<string, RateLimiterAbstract>()
  for (const [name, rule] of Object.entries(rules)) {
    const options = { keyPrefix: tenantKey(owner.tenant, 'rl', 'out', owner.instance, name), points: rule.points, duration: rule.seconds }
    limiters.set(
      name,
      owner.redis
        ? new RateLimiterRedis({ ...options, storeClient: owner.redis, insuranceLimiter: new RateLimiterMemory(options), rejectIfRedisNotReady: true })
        : new RateLimiterMemory(options),
    )
  }
  return {
    async take(keys) {
      const taken: [RateLimiterAbstract, string][] = []
      for (const [name, key] of Object.entries(keys)) {
        const limiter = limiters.get(name)
        if (!limiter || key === undefined) continue
        try {
          await limiter.consume(key)
          taken.push([limiter, key])
        } catch (error) {
          if (!(error instanceof RateLimiterRes)) throw error
          await Promise.all(taken.map(([l, k]) => l.reward(k, 1)))
          // Never 0: "wait 0 ms" would retry at once and be refused again.
          return Math.max(1, Math.ceil(error.msBeforeNext))
        }
      }
      return 0
    },
  }
}
