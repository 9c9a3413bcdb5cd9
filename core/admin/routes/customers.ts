import { z } from 'zod'
import { sbError } from '../../errors.js'
import type { ConversationRepository } from '../../store/conversations.js'
import type { CustomerStore, SupportEvents, TicketStore } from '../../support/ports.js'
import { defineRoute } from '../http/route.js'
import { Limit, TenantParams, Text } from './schemas.js'
import { actorOf } from './support-context.js'
import { CustomerSchema, Id, TicketSchema } from './support-schemas.js'

const CustomerParams = TenantParams.extend({ customer: Id })
const VipLevel = z.number().int().min(0).max(9)
const Tag = Text(64)

/** How many of a customer's conversations the profile lists (the newest). */
const PROFILE_CONVERSATIONS = 50

export function customerRoutes(deps: { customers: CustomerStore; tickets: TicketStore; conversations: ConversationRepository; events: SupportEvents }) {
  const existing = async (tenant: string, id: string) => {
    const customer = await deps.customers.get(tenant, id)
    if (!customer) throw sbError('SB_ERR_NOT_FOUND', `no customer ${id}`)
    return customer
  }
  return [
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/customers',
      tag: 'customers',
      summary: 'Find customers by name or channel identity, VIP level and tag',
      action: 'customer.search',
      permission: 'customers:read',
      params: TenantParams,
      query: z
        .object({
          q: Text(200).optional().describe('Part of the name, or a channel user id'),
          vip: z.coerce.number().int().min(0).max(9).optional().describe('At least this VIP level'),
          tag: Tag.optional(),
          limit: Limit(500, 50),
        })
        .strict(),
      response: z.object({ customers: z.array(CustomerSchema) }),
      handler: async ({ tenantId, query }) => ({
        body: { customers: await deps.customers.search(tenantId!, { q: query.q, vipAtLeast: query.vip, tag: query.tag, limit: query.limit }) },
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/customers/:customer',
      tag: 'customers',
      summary: 'A customer with their conversations and tickets',
      action: 'customer.get',
      permission: 'customers:read',
      params: CustomerParams,
      response: z.object({ customer: CustomerSchema, conversations: z.array(z.looseObject({ id: z.string(), channel: z.string(), instance: z.string(), lastActivityAt: z.date() })), tickets: z.array(TicketSchema) }),
      handler: async ({ tenantId, params }) => {
        const tenant = tenantId!
        const customer = await existing(tenant, params.customer)
        const [ids, tickets] = await Promise.all([
          deps.customers.conversationIds(tenant, customer.id, PROFILE_CONVERSATIONS),
          deps.tickets.list(tenant, { customerId: customer.id }),
        ])
        const conversations = (await Promise.all(ids.map((id) => deps.conversations.get(tenant, id)))).filter((c) => c !== undefined)
        return { body: { customer, conversations, tickets }, audit: { target: `customer:${customer.id}` } }
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/tenants/:tenant/customers/:customer',
      tag: 'customers',
      summary: 'Change a customer’s name, VIP level, language or tags (a VIP level set here is never overridden by rules or lookups)',
      action: 'customer.update',
      permission: 'customers:write',
      params: CustomerParams,
      body: z
        .object({
          displayName: Text(200).nullable().optional(),
          vipLevel: VipLevel.optional(),
          language: Text(35).nullable().optional(),
          tags: z.array(Tag).max(50).optional(),
        })
        .strict(),
      response: z.object({ customer: CustomerSchema }),
      handler: async ({ tenantId, params, body, principal }) => {
        const before = await existing(tenantId!, params.customer)
        const customer = await deps.customers.update(tenantId!, before.id, body, actorOf(principal))
        deps.events.publish(tenantId!, { type: 'customer', customer })
        const changed = (Object.keys(body) as (keyof typeof body)[]).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(customer[key]))
        return {
          body: { customer },
          audit: { target: `customer:${customer.id}`, details: Object.fromEntries(changed.map((key) => [key, { from: before[key], to: customer[key] }])) },
        }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/customers/:customer/link',
      tag: 'customers',
      summary: 'Merge another customer into this one: the same person on two channels becomes one',
      action: 'customer.link',
      permission: 'customers:write',
      params: CustomerParams,
      body: z.object({ customerId: Id.describe('The customer merged into this one') }).strict(),
      response: z.object({ customer: CustomerSchema }),
      handler: async ({ tenantId, params, body, principal }) => {
        const customer = await deps.customers.link(tenantId!, params.customer, body.customerId, actorOf(principal))
        deps.events.publish(tenantId!, { type: 'customer', customer })
        return { body: { customer }, audit: { target: `customer:${customer.id}`, details: { merged: body.customerId } } }
      },
    }),
  ]
}
