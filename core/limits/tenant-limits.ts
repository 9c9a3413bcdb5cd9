import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { tenantKey } from '../redis/keyspace.js'

/** A tenant's `limits` block from config; a missing number means unlimited. */
export interface TenantLimitConfig {
  messagesPerMinute?: number
  concurrentTurns?: number
  openSockets?: number
}

export type LimitName = 'messages' | 'turns' | 'sockets'

export type ConsumeResult = { ok: true } | { ok: false; retryAfterMs: number }

export interface TenantLimitsSnapshot {
  limits: TenantLimitConfig
  /** Turns running in this process. */
  turns: number
  /** Sockets open in this process. */
  sockets: number
  /** Where the message budget is counted: `redis` is shared by all replicas. */
  messageBudget: 'redis' | 'memory' | 'unlimited'
}

export interface TenantLimitsOptions {
  /** When given, message budgets are shared by every replica using the same Redis. */
  redis?: Redis
  /** Called once per refusal; the gateway counts these in `switchboard_limit_rejections_total`. */
  onReject?: (tenant: string, limit: LimitName) => void
}

interface MessageBudget {
  limiter: RateLimiterRedis | RateLimiterMemory
  /** Kept across reconfigures so its counts survive while Redis is down. */
  insurance?: RateLimiterMemory
}

interface TenantState {
  limits: TenantLimitConfig
  turns: number
  sockets: number
  messages?: MessageBudget
}

const OK: ConsumeResult = { ok: true }
const WINDOW_SECONDS = 60
/** Key for the budget shared by the whole tenant; caller keys are namespaced so none can collide with it. */
const TENANT_WIDE = 'all'

/**
 * Per-tenant admission limits. Message rates go through Redis when there is one, because replicas
 * behind a load balancer must share one budget. Turns and sockets are counted in this process
 * only: both hold this process's own resources (an agent call, a socket), and a shared counter
 * would leak slots whenever a replica died mid-turn, so each replica caps its own load and the
 * tenant-wide ceiling is the limit times the number of replicas.
 */
export class TenantLimits {
  readonly #tenants = new Map<string, TenantState>()

  constructor(private readonly options: TenantLimitsOptions = {}) {}

  /**
   * Sets or replaces a tenant's limits (tenant start and reload). Running turns, open sockets and
   * messages already counted in the current minute are kept, so a reload neither lets a burst
   * through nor evicts anyone; lowering a limit below the current count only refuses new ones.
   */
  configure(tenant: string, limits: TenantLimitConfig): void {
    const wanted = { ...limits }
    for (const name of ['messagesPerMinute', 'concurrentTurns', 'openSockets'] as const) {
      const value = wanted[name]
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0))
        throw new RangeError(`limits.${name} for ${tenant} must be a whole number >= 0, got ${value}`)
    }
    const state = this.#tenants.get(tenant) ?? { limits: {}, turns: 0, sockets: 0 }
    state.messages = this.#messageBudget(tenant, wanted.messagesPerMinute, state.messages)
    state.limits = wanted
    this.#tenants.set(tenant, state)
  }

  /** Forgets a removed tenant. Its Redis counters are left to expire: other replicas may still be serving it. */
  remove(tenant: string): void {
    this.#tenants.delete(tenant)
  }

  /**
   * Counts one inbound message against the tenant's per-minute budget. `key` gives each sender
   * (or whatever the caller keys by) a budget of its own; without it the whole tenant shares one.
   * An unknown or unlimited tenant is let through without any Redis round trip.
   */
  async consumeMessage(tenant: string, key?: string): Promise<ConsumeResult> {
    const budget = this.#tenants.get(tenant)?.messages
    if (!budget) return OK
    try {
      await budget.limiter.consume(key === undefined ? TENANT_WIDE : `k:${key}`)
      return OK
    } catch (error) {
      // Any other error is a bug: Redis failures are absorbed by the insurance limiter.
      if (!(error instanceof RateLimiterRes)) throw error
      this.options.onReject?.(tenant, 'messages')
      // Never 0: a client told "retry after 0 ms" retries at once and is refused again.
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil(error.msBeforeNext)) }
    }
  }

  /** Takes a turn slot; every `true` must be paired with one `releaseTurn`. */
  acquireTurn(tenant: string): boolean {
    return this.#acquire(tenant, 'turns', 'concurrentTurns')
  }

  releaseTurn(tenant: string): void {
    this.#release(tenant, 'turns')
  }

  /** Takes a socket slot; every `true` must be paired with one `releaseSocket`. */
  acquireSocket(tenant: string): boolean {
    return this.#acquire(tenant, 'sockets', 'openSockets')
  }

  releaseSocket(tenant: string): void {
    this.#release(tenant, 'sockets')
  }

  /** Counts in this process and configured limits, for the admin status endpoint. */
  snapshot(tenant: string): TenantLimitsSnapshot | undefined {
    const state = this.#tenants.get(tenant)
    if (!state) return undefined
    const messageBudget = !state.messages ? 'unlimited' : state.messages.insurance ? 'redis' : 'memory'
    return { limits: { ...state.limits }, turns: state.turns, sockets: state.sockets, messageBudget }
  }

  #acquire(tenant: string, counter: 'turns' | 'sockets', limit: 'concurrentTurns' | 'openSockets'): boolean {
    const state = this.#tenants.get(tenant)
    // Unknown tenants are not tracked: a release arriving after `remove` must not resurrect them.
    if (!state) return true
    const max = state.limits[limit]
    if (max !== undefined && state[counter] >= max) {
      this.options.onReject?.(tenant, counter)
      return false
    }
    // Counted even when unlimited, so the snapshot is right and a limit added later starts from the truth.
    state[counter]++
    return true
  }

  #release(tenant: string, counter: 'turns' | 'sockets'): void {
    const state = this.#tenants.get(tenant)
    // Clamped: a release for a slot taken before a remove/re-add must not open a slot that was never taken.
    if (state && state[counter] > 0) state[counter]--
  }

  #messageBudget(tenant: string, points: number | undefined, current: MessageBudget | undefined): MessageBudget | undefined {
    if (points === undefined) return undefined
    if (current && current.limiter.points === points) return current
    const keyPrefix = tenantKey(tenant, 'rl', 'messages')
    const redis = this.options.redis
    if (!redis) {
      if (current) {
        // The counts live in this limiter's memory, so it is retuned rather than replaced.
        current.limiter.points = points
        return current
      }
      return { limiter: new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS }) }
    }
    // While Redis is unreachable each replica falls back to its own in-memory budget: the tenant
    // may get up to replicas × the limit for that time, which beats refusing or stalling everyone.
    const insurance = current?.insurance ?? new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS })
    insurance.points = points
    // The counts live in Redis, so a new limiter keeps them; replacing it (rather than retuning
    // `points`) also drops its local block list, which was computed against the old limit.
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points,
      duration: WINDOW_SECONDS,
      insuranceLimiter: insurance,
      // Once a key is over budget, refuse locally for the rest of the window instead of asking
      // Redis again for every message of a flood.
      inMemoryBlockOnConsumed: points + 1,
      // Go straight to the insurance limiter while disconnected rather than waiting for an error.
      rejectIfRedisNotReady: true,
    })
    return { limiter, insurance }
  }
}
