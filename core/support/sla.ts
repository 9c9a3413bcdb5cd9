import type { SlaPolicy, TicketPriority } from './types.js'

/** How a tenant's tickets are numbered and timed; the ticketing plugin's config, or these defaults. */
export interface TicketPolicy {
  /** `T` makes ticket 1042 read `T-1042`. */
  prefix: string
  sla: SlaPolicy
}

export const DEFAULT_TICKET_POLICY: TicketPolicy = {
  prefix: 'T',
  sla: {
    firstResponseMinutes: { urgent: 15, high: 60, medium: 240, low: 1440 },
    resolveMinutes: { urgent: 240, high: 1440, medium: 4320, low: 10080 },
    vipFactor: { 1: 0.75, 2: 0.5, 3: 0.25 },
  },
}

const MINUTE = 60_000

/** When a ticket opened at `from` is due, for its priority and the customer's VIP level. */
export function dueTimes(sla: SlaPolicy, priority: TicketPriority, vipLevel: number, from: Date): { firstResponseDueAt: Date; resolveDueAt: Date } {
  const factor = vipFactorOf(sla, vipLevel)
  return {
    firstResponseDueAt: new Date(from.getTime() + sla.firstResponseMinutes[priority] * factor * MINUTE),
    resolveDueAt: new Date(from.getTime() + sla.resolveMinutes[priority] * factor * MINUTE),
  }
}

/** The factor of the highest configured level at or below `vipLevel` (level 4 gets level 3's). */
function vipFactorOf(sla: SlaPolicy, vipLevel: number): number {
  for (let level = vipLevel; level > 0; level--) {
    const factor = sla.vipFactor[level]
    if (factor !== undefined) return factor
  }
  return 1
}

export const formatTicketReference = (prefix: string, number: number): string => `${prefix}-${number}`
