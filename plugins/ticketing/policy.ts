import { DEFAULT_TICKET_POLICY, type TicketPolicy, type TicketPriority } from '../../core/index.js'
import { higherPriority } from '../support/open-ticket.js'
import type { TicketingConfig } from './manifest.js'

/** The tenant's numbering and SLA: the defaults with its overrides on top. */
export function ticketPolicy(config: TicketingConfig): TicketPolicy {
  const base = DEFAULT_TICKET_POLICY.sla
  const vipFactor = { ...base.vipFactor }
  for (const [level, factor] of Object.entries(config.sla.vipFactor)) vipFactor[Number(level)] = factor
  return {
    prefix: config.prefix,
    sla: {
      firstResponseMinutes: { ...base.firstResponseMinutes, ...config.sla.firstResponseMinutes },
      resolveMinutes: { ...base.resolveMinutes, ...config.sla.resolveMinutes },
      vipFactor,
    },
  }
}

export type TicketReason = 'complaint' | 'escalation' | 'unresolved'

/** Pure: the priority for why the ticket is opened, raised to what the customer's VIP level guarantees. */
export function ticketPriority(priorities: TicketingConfig['priority'], reason: TicketReason, vipLevel: number): TicketPriority {
  const byReason = priorities[reason]
  for (let level = vipLevel; level > 0; level--) {
    const floor = priorities.vip[String(level)]
    if (floor) return higherPriority(byReason, floor)
  }
  return byReason
}
