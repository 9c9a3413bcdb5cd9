import { Tokens, type AgentContext, type Customer, type Turn, type TurnMiddleware, type VipLookup } from '../../core/index.js'
import type { CustomersConfig } from './manifest.js'
import { TtlCache } from '../support/ttl-cache.js'
import { vipLevelByRules } from './vip-rules.js'
import './types.js'

/** The memory key this plugin owns: the customer the conversation was attached to. */
export const MEMORY_KEY = 'customers'

/**
 * A backstop only: a person's change to a profile (VIP level, merge) is published as an event that
 * drops the cached copy on every replica at once.
 */
const CACHE_TTL_MS = 10_000
const CACHE_MAX = 10_000

interface CustomersMemory {
  id: string
}

/**
 * Finds who wrote (creating their profile the first time), ties the conversation to them once,
 * keeps their VIP level in line with the tenant's rules and lookup hook, and hands the profile to
 * later plugins as `turn.state.customer`. A store that fails costs the turn its profile, never its answer.
 */
export function customersMiddleware(ctx: AgentContext<CustomersConfig>): TurnMiddleware {
  const store = ctx.container.resolve(Tokens.Customers)
  const recent = new TtlCache<Customer>({ max: CACHE_MAX, ttlMs: CACHE_TTL_MS })
  const { vip, lookup } = ctx.config
  const identityKey = (instance: string, userId: string) => `${instance}\u001f${userId}`
  const unsubscribe = ctx.container.resolve(Tokens.SupportEvents).subscribe(ctx.tenant, (event) => {
    if (event.type !== 'customer') return
    for (const identity of event.customer.identities) recent.delete(identityKey(identity.instance, identity.userId))
  })
  ctx.scope.onDispose(unsubscribe, 'customer cache invalidation')

  const profileOf = async (turn: Turn): Promise<Customer> => {
    const { activity } = turn
    const key = identityKey(activity.instance, activity.from.id)
    const cached = recent.get(key)
    if (cached) return cached
    const found = await store.resolve(ctx.tenant, {
      channel: activity.channel,
      instance: activity.instance,
      userId: activity.from.id,
      ...(activity.from.name ? { displayName: activity.from.name } : {}),
      ...(activity.locale ? { language: activity.locale } : {}),
    })
    const customer = await applyVip(turn, found)
    recent.set(key, customer)
    return customer
  }

  const applyVip = async (turn: Turn, customer: Customer): Promise<Customer> => {
    if (customer.vipSource === 'admin') return customer
    const { activity } = turn
    const byRule = vipLevelByRules(vip.rules, { channel: activity.channel, instance: activity.instance, userId: activity.from.id, tags: customer.tags })
    const byLookup = await lookUp(turn, customer)
    // The better of the two wins; a rule that stopped matching takes back only what a rule gave.
    const wanted =
      byLookup !== undefined && byLookup >= byRule
        ? { level: byLookup, source: 'lookup' as const }
        : byRule > 0 || customer.vipSource === 'rule'
          ? { level: byRule, source: 'rule' as const }
          : undefined
    if (!wanted || wanted.level === customer.vipLevel) return customer
    return store.setVip(ctx.tenant, customer.id, wanted.level, wanted.source)
  }

  const lookUp = async (turn: Turn, customer: Customer): Promise<number | undefined> => {
    // Looked up per turn: a plugin providing it may be listed later, or reloaded.
    if (!ctx.container.isRegistered(Tokens.VipLookup, true)) return undefined
    const hook: VipLookup = ctx.container.resolve(Tokens.VipLookup)
    try {
      const level = await withTimeout(hook(customer), lookup.timeoutMs)
      return level === undefined ? undefined : Math.max(0, Math.min(9, Math.trunc(level)))
    } catch (error) {
      turn.log.warn({ err: error, customer: customer.id }, 'VIP lookup failed; keeping the level the customer has')
      return undefined
    }
  }

  const attachOnce = async (turn: Turn, customer: Customer): Promise<void> => {
    const memory = turn.memory[MEMORY_KEY] as CustomersMemory | undefined
    if (memory?.id === customer.id) return
    await store.attachConversation(ctx.tenant, turn.conversation.id, customer.id)
    turn.memory[MEMORY_KEY] = { id: customer.id } satisfies CustomersMemory
  }

  return async (turn, next) => {
    try {
      const customer = await profileOf(turn)
      await attachOnce(turn, customer)
      turn.state.customer = customer
      const label = vip.labels[String(customer.vipLevel)]
      turn.annotations.customer = { id: customer.id, vipLevel: customer.vipLevel, ...(label ? { vipLabel: label } : {}) }
    } catch (error) {
      turn.log.error({ err: error }, 'could not resolve the customer; answering without a profile')
    }
    await next()
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
