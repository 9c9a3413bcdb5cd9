import { z } from 'zod'
import { HANDOFF_STATES, TICKET_PRIORITIES, TICKET_STATUSES } from '../../support/types.js'
import { Text } from './schemas.js'

/** The support desk's objects as the admin API returns them (the OpenAPI document shows these). */

export const CustomerSchema = z.object({
  id: z.string(),
  displayName: z.string().nullable(),
  vipLevel: z.number().int().describe('0 = not a VIP; 1–9, higher served first'),
  vipSource: z.enum(['default', 'rule', 'lookup', 'admin']).describe('Who set the level; an admin’s is never overridden'),
  language: z.string().nullable(),
  tags: z.array(z.string()),
  identities: z.array(z.object({ channel: z.string(), instance: z.string(), userId: z.string(), displayName: z.string().nullable(), linkedAt: z.date() })),
  satisfaction: z.object({ count: z.number().int(), average: z.number().nullable() }),
  createdAt: z.date(),
  updatedAt: z.date(),
})

export const TicketSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  reference: z.string().describe('What the customer was told, e.g. T-1042'),
  customerId: z.string().nullable(),
  subject: z.string(),
  description: z.string().nullable(),
  priority: z.enum(TICKET_PRIORITIES),
  status: z.enum(TICKET_STATUSES),
  source: z.string(),
  assignee: z.string().nullable(),
  vipLevel: z.number().int(),
  firstResponseDueAt: z.date(),
  resolveDueAt: z.date(),
  firstRespondedAt: z.date().nullable(),
  resolvedAt: z.date().nullable(),
  closedAt: z.date().nullable(),
  createdBy: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
  version: z.number().int().describe('Send it back with a PATCH to refuse changes made since'),
  conversationIds: z.array(z.string()),
})

export const TicketEventSchema = z.object({
  id: z.string(),
  at: z.date(),
  actor: z.object({ type: z.string(), id: z.string(), name: z.string().optional() }),
  kind: z.enum(['created', 'updated', 'linked', 'commented']),
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
  note: z.string().nullable(),
})

export const HandoffSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  customerId: z.string().nullable(),
  channel: z.string(),
  instance: z.string(),
  state: z.enum(HANDOFF_STATES),
  reason: z.string(),
  vipLevel: z.number().int(),
  ticketPriority: z.number().int().describe('0 low … 3 urgent'),
  ticketId: z.string().nullable(),
  language: z.string().nullable(),
  agentId: z.string().nullable(),
  agentName: z.string().nullable(),
  queuedAt: z.date(),
  assignedAt: z.date().nullable(),
  firstResponseAt: z.date().nullable(),
  lastCustomerAt: z.date().nullable(),
  lastAgentAt: z.date().nullable(),
  endedAt: z.date().nullable(),
  endReason: z.string().nullable(),
  version: z.number().int(),
})

export const QueuedHandoffSchema = HandoffSchema.extend({ position: z.number().int().describe('1 = next to be taken') })

export const NoteSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  authorId: z.string(),
  authorName: z.string().nullable(),
  text: z.string(),
  createdAt: z.date(),
})

/** Ids in paths: bound SQL parameters, held to a sane length. */
export const Id = Text(100)

/** `a,b` in a query string, each value checked against `values`. */
export const ListOf = <T extends readonly [string, ...string[]]>(values: T) =>
  Text(500)
    .transform((raw) => raw.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)))
