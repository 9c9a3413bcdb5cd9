import type { Turn } from '../../core/index.js'
import type { TicketingConfig } from './manifest.js'
import type { TicketReason } from './policy.js'

/** The memory key this plugin owns. */
export const MEMORY_KEY = 'ticketing'

export interface TicketingMemory {
  /** Turns in a row the bot had no grounded answer for. */
  unanswered: number
}

export const readMemory = (value: unknown): TicketingMemory => {
  const unanswered = (value as Partial<TicketingMemory> | undefined)?.unanswered
  return { unanswered: typeof unanswered === 'number' && unanswered >= 0 ? unanswered : 0 }
}

/**
 * Pure: whether this turn calls for a ticket, and why; and how many unanswered turns in a row the
 * conversation has now. "Unanswered" is the agent's own verdict (`grounded: false`); a turn the
 * agent did not answer at all (a rule, a picture) leaves the count as it was.
 */
export function ticketTrigger(turn: Pick<Turn, 'state' | 'annotations'>, create: TicketingConfig['create'], memory: TicketingMemory): { reason?: TicketReason; memory: TicketingMemory } {
  const grounded = turn.annotations.grounded
  const unanswered = grounded === false ? memory.unanswered + 1 : grounded === true ? 0 : memory.unanswered
  const complaint = turn.state.intent?.name === 'complaint' || turn.state.escalate?.reason === 'complaint'
  let reason: TicketReason | undefined
  if (complaint && create.onComplaint) reason = 'complaint'
  else if (turn.state.escalate && create.onEscalation) reason = 'escalation'
  else if (create.onUnresolved && unanswered >= create.onUnresolved.afterTurns) reason = 'unresolved'
  // Once a ticket is opened for them, the unanswered turns have been dealt with.
  return { ...(reason ? { reason } : {}), memory: { unanswered: reason === 'unresolved' ? 0 : unanswered } }
}
