import { z } from 'zod'
import { sbError } from '../../errors.js'
import type { ConversationRepository } from '../../store/conversations.js'
import type { TranscriptRepository } from '../../store/transcript.js'
import type { CustomerStore, HandoffStore, NoteStore, TicketStore } from '../../support/ports.js'
import { HANDOFF_STATES } from '../../support/types.js'
import { defineRoute } from '../http/route.js'
import { Limit, TenantParams, Text } from './schemas.js'
import { actorOf, handoffDesk } from './support-context.js'
import { CustomerSchema, HandoffSchema, Id, ListOf, NoteSchema, QueuedHandoffSchema, TicketSchema } from './support-schemas.js'

const HandoffParams = TenantParams.extend({ handoff: Id })
const ConversationParams = TenantParams.extend({ conversation: Id })
const HandoffBody = z.object({ handoff: HandoffSchema })
/** The transcript the console opens with; older messages stay in the conversation API. */
const DESK_MESSAGES = 500

export interface HandoffRouteDeps {
  handoffs: HandoffStore
  notes: NoteStore
  customers: CustomerStore
  tickets: TicketStore
  conversations: ConversationRepository
  transcript: TranscriptRepository
}

/**
 * The agent's work: reads come from the store, so they answer even where the handoff plugin is
 * off; every action goes through the tenant's HandoffDesk, which tells the customer, publishes the
 * change to consoles and keeps the metrics.
 */
export function handoffRoutes(deps: HandoffRouteDeps) {
  const conversationOf = async (tenant: string, id: string) => {
    const conversation = await deps.conversations.get(tenant, id)
    if (!conversation) throw sbError('SB_ERR_NOT_FOUND', `no conversation ${id}`)
    return conversation
  }
  const handoffAudit = (handoff: { id: string; state: string; conversationId: string }, details: Record<string, unknown> = {}) => ({
    target: `handoff:${handoff.id}`,
    details: { conversationId: handoff.conversationId, state: handoff.state, ...details },
  })

  return [
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/handoffs/queue',
      tag: 'handoffs',
      summary: 'Conversations waiting for a human, in serving order (VIP level, ticket priority, waiting time)',
      action: 'handoff.queue',
      permission: 'handoff:work',
      params: TenantParams,
      query: z.object({ limit: Limit(500, 100) }).strict(),
      response: z.object({ queue: z.array(QueuedHandoffSchema) }),
      handler: async ({ tenantId, query }) => ({ body: { queue: await deps.handoffs.queue(tenantId!, query.limit) } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/handoffs',
      tag: 'handoffs',
      summary: 'Handoffs by state and agent, newest first',
      action: 'handoff.list',
      permission: 'handoff:work',
      params: TenantParams,
      query: z
        .object({
          state: ListOf(HANDOFF_STATES).optional().describe('One or more states, comma-separated: queued,assigned'),
          agent: Text(200).optional().describe('`me`, or an agent id'),
          limit: Limit(500, 50),
        })
        .strict(),
      response: z.object({ handoffs: z.array(HandoffSchema) }),
      handler: async ({ tenantId, query, principal }) => ({
        body: { handoffs: await deps.handoffs.list(tenantId!, { states: query.state, agentId: query.agent === 'me' ? principal.id : query.agent, limit: query.limit }) },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/handoffs/take',
      tag: 'handoffs',
      summary: 'Take the next conversation in the queue, or a chosen one; 409 naming the agent when someone else was faster',
      action: 'handoff.take',
      permission: 'handoff:work',
      params: TenantParams,
      body: z.object({ handoffId: Id.optional().describe('Leave out to take the next in order') }).strict(),
      response: z.object({ handoff: HandoffSchema.nullable().describe('null when the queue is empty') }),
      handler: async ({ tenant, body, principal }) => {
        const handoff = await handoffDesk(tenant).take(actorOf(principal), body.handoffId)
        return { body: { handoff: handoff ?? null }, audit: handoff ? handoffAudit(handoff) : { details: { queue: 'empty' } } }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/handoffs/:handoff/reply',
      tag: 'handoffs',
      summary: 'Send the customer a message on their own channel; 409 once the handoff has ended',
      action: 'handoff.reply',
      permission: 'handoff:work',
      params: HandoffParams,
      body: z.object({ text: Text(4000) }).strict(),
      successStatus: 201,
      response: z.object({ messageId: z.string(), seq: z.number().int() }),
      handler: async ({ tenant, params, body, principal }) => {
        const sent = await handoffDesk(tenant).reply(actorOf(principal), params.handoff, body.text)
        return { status: 201, body: sent, audit: { target: `handoff:${params.handoff}`, details: { messageId: sent.messageId, length: body.text.length } } }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/handoffs/:handoff/resolve',
      tag: 'handoffs',
      summary: 'End the handoff and give the conversation back to the bot; optionally move its ticket',
      action: 'handoff.resolve',
      permission: 'handoff:work',
      params: HandoffParams,
      body: z.object({ ticketStatus: z.enum(['resolved', 'pending', 'in_progress']).optional() }).strict(),
      response: HandoffBody,
      handler: async ({ tenant, params, body, principal }) => {
        const handoff = await handoffDesk(tenant).resolve(actorOf(principal), params.handoff, body.ticketStatus ? { ticketStatus: body.ticketStatus } : undefined)
        return { body: { handoff }, audit: handoffAudit(handoff, body.ticketStatus ? { ticketStatus: body.ticketStatus } : {}) }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/handoffs/:handoff/release',
      tag: 'handoffs',
      summary: 'Put the conversation back in the queue, in its original place, for another agent',
      action: 'handoff.release',
      permission: 'handoff:work',
      params: HandoffParams,
      response: HandoffBody,
      handler: async ({ tenant, params, principal }) => {
        const handoff = await handoffDesk(tenant).release(actorOf(principal), params.handoff)
        return { body: { handoff }, audit: handoffAudit(handoff) }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/conversations/:conversation/handoff',
      tag: 'handoffs',
      summary: 'Hand a conversation to a human without the customer asking (it enters the queue)',
      action: 'handoff.open',
      permission: 'handoff:work',
      params: ConversationParams,
      body: z.object({ reason: Text(200) }).strict(),
      successStatus: 201,
      response: HandoffBody,
      handler: async ({ tenant, tenantId, params, body, principal }) => {
        const desk = handoffDesk(tenant)
        await conversationOf(tenantId!, params.conversation)
        const handoff = await desk.open(actorOf(principal), params.conversation, body.reason)
        return { status: 201, body: { handoff }, audit: handoffAudit(handoff, { reason: body.reason }) }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/conversations/:conversation/notes',
      tag: 'handoffs',
      summary: 'Agents’ internal notes on a conversation, oldest first',
      action: 'note.list',
      permission: 'conversations:read',
      params: ConversationParams,
      response: z.object({ notes: z.array(NoteSchema) }),
      handler: async ({ tenantId, params }) => {
        const conversation = await conversationOf(tenantId!, params.conversation)
        return { body: { notes: await deps.notes.list(tenantId!, conversation.id) }, audit: { target: `conversation:${conversation.id}` } }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/conversations/:conversation/notes',
      tag: 'handoffs',
      summary: 'Leave an internal note on a conversation (never sent to the customer)',
      action: 'note.add',
      permission: 'handoff:work',
      params: ConversationParams,
      body: z.object({ text: Text(4000) }).strict(),
      successStatus: 201,
      response: z.object({ note: NoteSchema }),
      handler: async ({ tenant, tenantId, params, body, principal }) => {
        const desk = handoffDesk(tenant)
        await conversationOf(tenantId!, params.conversation)
        const note = await desk.note(actorOf(principal), params.conversation, body.text)
        return { status: 201, body: { note }, audit: { target: `conversation:${note.conversationId}`, details: { noteId: note.id } } }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/conversations/:conversation/desk',
      tag: 'handoffs',
      summary: 'Everything an agent needs in one call: the transcript with the bot’s annotations, notes, customer, tickets and handoff',
      action: 'conversation.desk',
      permission: 'conversations:read',
      params: ConversationParams,
      response: z.object({
        conversation: z.looseObject({ id: z.string(), channel: z.string(), instance: z.string(), userId: z.string(), locale: z.string().nullable() }),
        messages: z.array(z.looseObject({ id: z.string(), direction: z.enum(['in', 'out']), senderRole: z.string(), text: z.string(), annotations: z.record(z.string(), z.unknown()), createdAt: z.date() })),
        notes: z.array(NoteSchema),
        customer: CustomerSchema.nullable(),
        tickets: z.array(TicketSchema),
        handoff: HandoffSchema.nullable().describe('The live handoff, or else the latest'),
      }),
      handler: async ({ tenantId, params }) => {
        const tenant = tenantId!
        const conversation = await conversationOf(tenant, params.conversation)
        const [messages, notes, customer, tickets, handoffs] = await Promise.all([
          deps.transcript.history(tenant, conversation.id, DESK_MESSAGES),
          deps.notes.list(tenant, conversation.id),
          deps.customers.forConversation(tenant, conversation.id),
          deps.tickets.list(tenant, { conversationId: conversation.id }),
          // A conversation has one live handoff at most and it is always its newest.
          deps.handoffs.list(tenant, { conversationId: conversation.id, limit: 1 }),
        ])
        return { body: { conversation, messages, notes, customer: customer ?? null, tickets, handoff: handoffs[0] ?? null }, audit: { target: `conversation:${conversation.id}` } }
      },
    }),
  ]
}
