import { sbError } from '../errors.js'
import { dueTimes } from './sla.js'
import { TICKET_TRANSITIONS, type SlaPolicy, type Ticket, type TicketPatch, type TicketStatus } from './types.js'

/** The columns a patch may write, in their stored shape. */
export interface TicketFields {
  status: TicketStatus
  priority: Ticket['priority']
  assignee: string | null
  subject: string
  firstResponseDueAt: Date
  resolveDueAt: Date
  resolvedAt: Date | null
  closedAt: Date | null
}

export type TicketChanges = Record<string, { from: unknown; to: unknown }>

/** Refuses a status move the workflow does not allow, naming the moves it does. */
export function assertTransition(from: TicketStatus, to: TicketStatus): void {
  if (from === to) return
  const allowed = TICKET_TRANSITIONS[from]
  if (allowed.includes(to)) return
  const options = allowed.length > 0 ? allowed.join(', ') : `none (${from} is final)`
  throw sbError('SB_ERR_INVALID_TRANSITION', `a ticket cannot go from ${from} to ${to}; allowed from ${from}: ${options}`, [
    { path: 'body.status', message: `allowed from ${from}: ${options}` },
  ])
}

/**
 * What a patch does to a ticket: the new field values and, for the history, each field that
 * actually changed. A priority change moves the due times, still counted from the ticket's opening.
 */
export function applyTicketPatch(ticket: Ticket, patch: TicketPatch, at: Date, sla: SlaPolicy): { fields: TicketFields; changes: TicketChanges } {
  if (patch.version !== undefined && patch.version !== ticket.version) {
    throw sbError('SB_ERR_CONFLICT', `ticket changed since version ${patch.version}; now ${ticket.version}`, [
      { path: 'body.version', message: `the ticket is at version ${ticket.version}` },
    ])
  }
  const status = patch.status ?? ticket.status
  assertTransition(ticket.status, status)
  const priority = patch.priority ?? ticket.priority
  const due = priority === ticket.priority ? ticket : dueTimes(sla, priority, ticket.vipLevel, ticket.createdAt)
  const moved = status !== ticket.status
  const fields: TicketFields = {
    status,
    priority,
    assignee: patch.assignee === undefined ? ticket.assignee : patch.assignee,
    subject: patch.subject ?? ticket.subject,
    firstResponseDueAt: due.firstResponseDueAt,
    resolveDueAt: due.resolveDueAt,
    // Reopening starts the resolve clock's outcome over; closing keeps when it was resolved.
    resolvedAt: !moved ? ticket.resolvedAt : status === 'resolved' ? at : status === 'open' ? null : ticket.resolvedAt,
    closedAt: moved && status === 'closed' ? at : ticket.closedAt,
  }
  const changes: TicketChanges = {}
  for (const key of Object.keys(fields) as (keyof TicketFields)[]) {
    const from = ticket[key]
    const to = fields[key]
    if (!sameValue(from, to)) changes[key] = { from, to }
  }
  return { fields, changes }
}

const sameValue = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b)
