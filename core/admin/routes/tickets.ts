import { tellCustomer } from '../../support/tell-customer.js'
import { z } from 'zod'
import type { DeliveryEngine } from '../../delivery/engine.js'
import { isSwitchboardError, sbError } from '../../errors.js'
import type { Metrics } from '../../observability/metrics.js'
import type { ConversationRepository } from '../../store/conversations.js'
import { ticketOpened } from '../../support/phrases.js'
import type { CustomerStore, SupportEvents, TicketStore } from '../../support/ports.js'
import { TICKET_PRIORITIES, TICKET_STATUSES, type Ticket } from '../../support/types.js'
import type { TenantRuntime } from '../../tenancy/tenant-runtime.js'
import { defineRoute } from '../http/route.js'
import { Limit, TenantParams, Text } from './schemas.js'
import { actorOf, ticketPolicy } from './support-context.js'
import { Id, ListOf, TicketEventSchema, TicketSchema } from './support-schemas.js'

const TicketParams = TenantParams.extend({ ticket: Text(100).describe('Id, number or reference (T-1042)') })
const Priority = z.enum(TICKET_PRIORITIES)
const TicketBody = z.object({ ticket: TicketSchema })
/** The fields whose change an audit entry names, from → to. */
const AUDITED_FIELDS = ['status', 'priority', 'assignee', 'subject'] as const

export interface TicketRouteDeps {
  tickets: TicketStore
  customers: CustomerStore
  conversations: ConversationRepository
  events: SupportEvents
  delivery: DeliveryEngine
  metrics: Metrics
}

export function ticketRoutes(deps: TicketRouteDeps) {
  const existing = async (tenant: string, key: string) => {
    const ticket = await deps.tickets.get(tenant, key)
    if (!ticket) throw sbError('SB_ERR_NOT_FOUND', `no ticket ${key}`)
    return ticket
  }
  const changed = (tenant: string, ticket: Ticket) => deps.events.publish(tenant, { type: 'ticket', ticket })

  /** Tells the customer their ticket's reference on their own channel; false when that channel cannot take it now. */
  async function notify(tenant: TenantRuntime | undefined, tenantId: string, ticket: Ticket, conversationId: string): Promise<{ notified: boolean; error?: string }> {
    const conversation = await deps.conversations.get(tenantId, conversationId)
    const text = ticketOpened(conversation?.locale ?? tenant?.locale, ticket.reference, ticket.subject)
    try {
      await tellCustomer(deps.delivery, deps.events, { tenant: tenantId, conversationId, text, sender: { id: 'desk', role: 'system' } })
      return { notified: true }
    } catch (error) {
      // The ticket stands either way: failing the call now would invite a retry that opens a
      // second one. The answer (and the audit entry) say the customer has not been told.
      return { notified: false, error: isSwitchboardError(error) ? error.code : 'SB_ERR_INTERNAL' }
    }
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/tickets',
      tag: 'tickets',
      summary: 'Find tickets by status, priority, assignee, customer or conversation, newest first',
      action: 'ticket.search',
      permission: 'ticket:read',
      params: TenantParams,
      query: z
        .object({
          status: ListOf(TICKET_STATUSES).optional().describe('One or more statuses, comma-separated: open,pending'),
          priority: Priority.optional(),
          assignee: Text(200).optional(),
          customer: Id.optional(),
          conversation: Id.optional(),
          limit: Limit(500, 50),
        })
        .strict(),
      response: z.object({ tickets: z.array(TicketSchema) }),
      handler: async ({ tenantId, query }) => ({
        body: {
          tickets: await deps.tickets.list(tenantId!, {
            status: query.status,
            priority: query.priority,
            assignee: query.assignee,
            customerId: query.customer,
            conversationId: query.conversation,
            limit: query.limit,
          }),
        },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/tickets',
      tag: 'tickets',
      summary: 'Open a ticket; with a conversation, the customer is told its reference on their channel',
      action: 'ticket.create',
      permission: 'ticket:write',
      params: TenantParams,
      body: z
        .object({
          subject: Text(200),
          description: Text(10_000).optional(),
          priority: Priority,
          customerId: Id.optional(),
          conversationId: Id.optional(),
          assignee: Text(200).optional(),
          notifyCustomer: z.boolean().default(true).describe('Tell the customer the ticket reference in the conversation (default true)'),
        })
        .strict(),
      successStatus: 201,
      response: TicketBody.extend({ notified: z.boolean().describe('Whether the customer was told the reference (false: no conversation, not asked, or its channel is down)') }),
      handler: async ({ tenant, tenantId, body, principal }) => {
        const policy = ticketPolicy(tenant)
        const source = principal.roles.includes('agent') ? 'agent' : 'admin'
        // A conversation brings its customer along when none is named.
        const customerId = body.customerId ?? (body.conversationId ? (await deps.customers.forConversation(tenantId!, body.conversationId))?.id : undefined)
        const ticket = await deps.tickets.create(
          tenantId!,
          { subject: body.subject, description: body.description, priority: body.priority, source, customerId, conversationId: body.conversationId, assignee: body.assignee },
          actorOf(principal),
          policy.sla,
          policy.prefix,
        )
        deps.metrics.tickets.inc({ tenant: tenantId!, source, priority: ticket.priority })
        changed(tenantId!, ticket)
        const outcome = body.conversationId && body.notifyCustomer ? await notify(tenant, tenantId!, ticket, body.conversationId) : { notified: false }
        return {
          status: 201,
          body: { ticket, notified: outcome.notified },
          audit: { target: `ticket:${ticket.id}`, details: { reference: ticket.reference, priority: ticket.priority, conversationId: body.conversationId, ...outcome } },
        }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/tickets/:ticket',
      tag: 'tickets',
      summary: 'A ticket with its full history',
      action: 'ticket.get',
      permission: 'ticket:read',
      params: TicketParams,
      response: TicketBody.extend({ history: z.array(TicketEventSchema) }),
      handler: async ({ tenantId, params }) => {
        const ticket = await existing(tenantId!, params.ticket)
        return { body: { ticket, history: await deps.tickets.history(tenantId!, ticket.id) }, audit: { target: `ticket:${ticket.id}` } }
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/tenants/:tenant/tickets/:ticket',
      tag: 'tickets',
      summary: 'Change a ticket’s status, priority, assignee or subject; an illegal status move is a 409 naming the allowed ones',
      action: 'ticket.update',
      permission: 'ticket:write',
      params: TicketParams,
      body: z
        .object({
          status: z.enum(TICKET_STATUSES).optional(),
          priority: Priority.optional(),
          assignee: Text(200).nullable().optional(),
          subject: Text(200).optional(),
          version: z.number().int().min(1).optional().describe('The version you read: refused with 409 when the ticket changed since'),
          note: Text(4000).optional().describe('Why, for the history'),
        })
        .strict(),
      response: TicketBody,
      handler: async ({ tenant, tenantId, params, body, principal }) => {
        const before = await existing(tenantId!, params.ticket)
        const ticket = await deps.tickets.update(tenantId!, before.id, body, actorOf(principal), ticketPolicy(tenant).sla)
        if (ticket.version !== before.version) changed(tenantId!, ticket)
        const fields = AUDITED_FIELDS.filter((field) => before[field] !== ticket[field])
        return {
          body: { ticket },
          audit: { target: `ticket:${ticket.id}`, details: { ...Object.fromEntries(fields.map((f) => [f, { from: before[f], to: ticket[f] }])), ...(body.note ? { note: body.note } : {}) } },
        }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/tickets/:ticket/conversations',
      tag: 'tickets',
      summary: 'Link another conversation to a ticket',
      action: 'ticket.link',
      permission: 'ticket:write',
      params: TicketParams,
      body: z.object({ conversationId: Id }).strict(),
      response: TicketBody,
      handler: async ({ tenantId, params, body, principal }) => {
        const before = await existing(tenantId!, params.ticket)
        const ticket = await deps.tickets.link(tenantId!, before.id, body.conversationId, actorOf(principal))
        if (ticket.version !== before.version) changed(tenantId!, ticket)
        return { body: { ticket }, audit: { target: `ticket:${ticket.id}`, details: { conversationId: body.conversationId } } }
      },
    }),
  ]
}
