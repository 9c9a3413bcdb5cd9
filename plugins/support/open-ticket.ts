import { TICKET_PRIORITIES, type Actor, type NewTicket, type Ticket, type TicketPriority } from '../../core/index.js'
import { auditDesk } from './audit.js'
import type { DeskServices } from './services.js'

/** Opens a ticket the way every desk plugin must: numbered by policy, announced, audited, counted. */
export async function openTicket(desk: DeskServices, input: NewTicket, actor: Actor): Promise<Ticket> {
  const policy = desk.ticketPolicy()
  const ticket = await desk.tickets.create(desk.tenant, input, actor, policy.sla, policy.prefix)
  desk.events.publish(desk.tenant, { type: 'ticket', ticket })
  auditDesk(desk, actor, 'ticket.create', ticket.id, { reference: ticket.reference, priority: ticket.priority, source: ticket.source, conversationId: input.conversationId ?? null })
  desk.metrics.tickets.inc({ tenant: desk.tenant, source: ticket.source, priority: ticket.priority })
  return ticket
}

/** 0 low … 3 urgent: how a handoff weighs its ticket in the queue. */
export const priorityRank = (priority: TicketPriority): number => TICKET_PRIORITIES.indexOf(priority)

export const higherPriority = (a: TicketPriority, b: TicketPriority): TicketPriority => (priorityRank(a) >= priorityRank(b) ? a : b)

/** A ticket's subject from what the customer wrote: its first line, cut at a word near 120 characters. */
export function subjectFrom(text: string, fallback: string): string {
  const line = text.trim().split(/\r?\n/)[0]?.trim() ?? ''
  if (!line) return fallback
  if (line.length <= 120) return line
  const cut = line.slice(0, 120)
  const space = cut.lastIndexOf(' ')
  return `${(space > 60 ? cut.slice(0, space) : cut).trimEnd()}…`
}
