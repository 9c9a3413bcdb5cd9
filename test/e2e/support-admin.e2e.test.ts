import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeyStore } from '../../core/admin/auth/api-keys.js'
import type { AuditEntry } from '../../core/audit/entry.js'
import { Tokens } from '../../core/di/tokens.js'
import type { Ticket } from '../../core/support/types.js'
import { AdminClient, type AdminResponse } from '../harness/admin-client.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient } from '../harness/ws-client.js'
import { tempConfig, webchatTenant } from '../kit/tenants.js'

const errorOf = (res: AdminResponse) => ({ status: res.status, ...(res.body as { error?: { code: string; message: string; path?: string } }).error })

/**
 * The support desk over the admin API on the real gateway: two tenants (acme, globex) without the
 * handoff plugin, an agent, a viewer and a tenant admin in each.
 */
describe('the support desk in the admin API', () => {
  let gw: TestGateway
  let config: Awaited<ReturnType<typeof tempConfig>>
  let admin: AdminClient
  const keys = {} as Record<'acme' | 'globex', Record<'agent' | 'viewer' | 'tenant-admin', string>>
  /** The acme web-chat visitor, still connected: the ticket reference reaches them live. */
  let visitor: ChatClient
  let conversationId: string

  beforeAll(async () => {
    config = await tempConfig({ acme: webchatTenant({ id: 'acme', reply: 'The bot hears you.' }), globex: webchatTenant({ id: 'globex' }) })
    await writeFile(join(config.dir, 'gateway.yaml'), 'admin:\n  enabled: true\n')
    gw = await startTestGateway({ configDir: config.dir })
    admin = new AdminClient(gw.url)
    const store = gw.gateway.container.resolve(ApiKeyStore)
    for (const tenant of ['acme', 'globex'] as const) {
      keys[tenant] = {} as (typeof keys)[typeof tenant]
      for (const role of ['agent', 'viewer', 'tenant-admin'] as const) keys[tenant][role] = (await store.create(tenant, { name: `${role} of ${tenant}`, role, createdBy: 'test' })).key
    }
    visitor = new ChatClient(gw.wsUrl('acme'))
    const welcome = await visitor.connect()
    conversationId = welcome.conversation_id as string
    await visitor.say('My parcel never arrived')
    expect((await visitor.reply()).text).toBe('The bot hears you.')
  }, 60_000)
  afterAll(async () => {
    visitor?.close()
    await gw?.close()
    await config?.remove()
  })

  const agentCall = (method: string, path: string, body?: unknown, key = keys.acme.agent) => admin.request(method, `/tenants/acme${path}`, { key, ...(body !== undefined ? { body } : {}) })
  const auditOf = async (tenant: string, action: string) => {
    const entries: AuditEntry[] = []
    for await (const entry of gw.gateway.container.resolve(Tokens.Audit).export(tenant)) if (entry.action === action) entries.push(entry)
    return entries
  }

  it('an agent opens a ticket on the conversation, and the customer is told its reference in the chat', async () => {
    const created = await agentCall('POST', '/tickets', { subject: 'Parcel never arrived', priority: 'high', conversationId })
    expect(created.status).toBe(201)
    const ticket = created.body.ticket as Ticket
    expect(created.body).toMatchObject({ notified: true, ticket: { reference: 'T-1', status: 'open', priority: 'high', source: 'agent', conversationIds: [conversationId] } })
    expect((await visitor.reply()).text).toBe("We've opened ticket T-1 for you: Parcel never arrived. We'll keep you posted.")

    const listed = await agentCall('GET', '/tickets?status=open,pending')
    expect(listed.body.tickets.map((t: Ticket) => t.id)).toEqual([ticket.id])
    expect((await agentCall('GET', '/tickets?status=closed')).body.tickets).toEqual([])
    expect(errorOf(await agentCall('GET', '/tickets?status=lost'))).toMatchObject({ status: 400, code: 'SB_ERR_BODY_INVALID', path: 'query.status[0]' })
    const [entry] = await auditOf('acme', 'ticket.create')
    expect(entry).toMatchObject({ outcome: 'success', target: `ticket:${ticket.id}`, details: { reference: 'T-1', notified: true } })
  })

  it('moves a ticket along its statuses; an illegal move is a 409 that names the allowed ones, and the history holds every change', async () => {
    const { ticket } = (await agentCall('POST', '/tickets', { subject: 'Invoice wrong', priority: 'low' })).body as { ticket: Ticket }
    expect((await agentCall('PATCH', `/tickets/${ticket.reference}`, { status: 'in_progress', assignee: 'alice', version: 1 })).body.ticket).toMatchObject({ status: 'in_progress', version: 2 })

    const illegal = await agentCall('PATCH', `/tickets/${ticket.id}`, { status: 'closed' })
    expect(errorOf(illegal)).toEqual({
      status: 409,
      code: 'SB_ERR_INVALID_TRANSITION',
      message: 'a ticket cannot go from in_progress to closed; allowed from in_progress: pending, resolved',
      path: 'body.status',
    })
    const stale = await agentCall('PATCH', `/tickets/${ticket.id}`, { priority: 'urgent', version: 1 })
    expect(errorOf(stale)).toMatchObject({ status: 409, code: 'SB_ERR_CONFLICT', message: 'ticket changed since version 1; now 2' })

    await agentCall('PATCH', `/tickets/${ticket.number}`, { status: 'resolved', note: 'refund issued' })
    const reopened = await agentCall('PATCH', `/tickets/${ticket.id}`, { status: 'open' })
    expect(reopened.body.ticket).toMatchObject({ status: 'open', resolvedAt: null, version: 4 })

    const { history } = (await agentCall('GET', `/tickets/${ticket.reference}`)).body as { history: { kind: string; changes: Record<string, { from: unknown; to: unknown }>; note: string | null }[] }
    expect(history.map((e) => [e.kind, e.changes.status?.to ?? null])).toEqual([
      ['created', 'open'],
      ['updated', 'in_progress'],
      ['updated', 'resolved'],
      ['updated', 'open'],
    ])
    expect(history[2]!.note).toBe('refund issued')
    const audited = await auditOf('acme', 'ticket.update')
    expect(audited.filter((e) => e.target === `ticket:${ticket.id}`).map((e) => [e.outcome, (e.details.status as { from: string; to: string }).to])).toEqual([
      ['success', 'in_progress'],
      ['success', 'resolved'],
      ['success', 'open'],
    ])
    // The refusals are in the log too, with the reason.
    expect(audited.filter((e) => e.outcome !== 'success').map((e) => [e.outcome, e.details.error])).toEqual([
      ['invalid', 'SB_ERR_INVALID_TRANSITION'],
      ['invalid', 'SB_ERR_CONFLICT'],
    ])
  })

  it('does not show or change another tenant’s tickets, conversations or customers: 404, as if they did not exist', async () => {
    const { ticket } = (await admin.post('/tenants/globex/tickets', { key: keys.globex.agent, body: { subject: 'Globex only', priority: 'medium' } })).body as { ticket: Ticket }
    expect(errorOf(await agentCall('GET', `/tickets/${ticket.id}`))).toMatchObject({ status: 404, code: 'SB_ERR_NOT_FOUND' })
    expect(errorOf(await agentCall('PATCH', `/tickets/${ticket.id}`, { status: 'closed' }))).toMatchObject({ status: 404, code: 'SB_ERR_NOT_FOUND' })
    // Through globex's own path an acme agent does not get in either.
    expect(errorOf(await admin.get(`/tenants/globex/tickets/${ticket.id}`, { key: keys.acme.agent }))).toMatchObject({ status: 404 })
    // Naming acme's conversation from globex finds nothing to attach a ticket to.
    const crossing = await admin.post('/tenants/globex/tickets', { key: keys.globex.agent, body: { subject: 'Sneaky', priority: 'low', conversationId } })
    expect(errorOf(crossing)).toMatchObject({ status: 404, code: 'SB_ERR_NOT_FOUND' })
    expect(errorOf(await admin.get(`/tenants/globex/conversations/${conversationId}/desk`, { key: keys.globex.agent }))).toMatchObject({ status: 404 })
    expect((await admin.get('/tenants/globex/tickets', { key: keys.globex.agent })).body.tickets.map((t: Ticket) => t.subject)).toEqual(['Globex only'])
  })

  it('lets a viewer write no tickets, an agent only read customers, and a tenant admin set a VIP level that rules cannot undo', async () => {
    expect(errorOf(await agentCall('POST', '/tickets', { subject: 'x', priority: 'low' }, keys.acme.viewer))).toMatchObject({ status: 403, code: 'SB_ERR_FORBIDDEN' })
    expect(errorOf(await agentCall('GET', '/tickets', undefined, keys.acme.viewer))).toMatchObject({ status: 403 })
    const customer = await gw.gateway.container.resolve(Tokens.Customers).resolve('acme', { channel: 'websocket', instance: 'web', userId: 'vip-to-be', displayName: 'Dana' })

    expect(errorOf(await agentCall('PATCH', `/customers/${customer.id}`, { vipLevel: 2 }))).toMatchObject({ status: 403, code: 'SB_ERR_FORBIDDEN' })
    const patched = await agentCall('PATCH', `/customers/${customer.id}`, { vipLevel: 2, tags: ['wholesale'] }, keys.acme['tenant-admin'])
    expect(patched.body.customer).toMatchObject({ vipLevel: 2, vipSource: 'admin', tags: ['wholesale'] })
    expect(errorOf(await agentCall('PATCH', `/customers/${customer.id}`, { vipLevel: 10 }, keys.acme['tenant-admin']))).toMatchObject({ status: 400, path: 'body.vipLevel' })
    await gw.gateway.container.resolve(Tokens.Customers).setVip('acme', customer.id, 5, 'rule')

    const found = await agentCall('GET', '/customers?vip=1')
    expect(found.body.customers.map((c: { id: string; vipLevel: number }) => [c.id, c.vipLevel])).toEqual([[customer.id, 2]])
    expect((await agentCall('GET', `/customers/${customer.id}`)).body).toMatchObject({ customer: { displayName: 'Dana' }, conversations: [], tickets: [] })
    const [entry] = await auditOf('acme', 'customer.update').then((all) => all.filter((e) => e.outcome === 'success'))
    expect(entry!.details).toMatchObject({ vipLevel: { from: 0, to: 2 } })
  })

  it('answers the handoff actions with 409 SB_ERR_HANDOFF_DISABLED where the plugin is off, and still serves the reads', async () => {
    for (const [path, body] of [
      ['/handoffs/take', {}],
      ['/handoffs/ho_1/reply', { text: 'hello' }],
      ['/handoffs/ho_1/resolve', {}],
      ['/handoffs/ho_1/release', undefined],
      [`/conversations/${conversationId}/handoff`, { reason: 'customer asked' }],
      [`/conversations/${conversationId}/notes`, { text: 'called them' }],
    ] as const) {
      expect(errorOf(await agentCall('POST', path, body)), path).toMatchObject({ status: 409, code: 'SB_ERR_HANDOFF_DISABLED' })
    }
    expect((await agentCall('GET', '/handoffs/queue')).body).toEqual({ queue: [] })
    expect((await agentCall('GET', '/handoffs?state=queued,assigned&agent=me')).body).toEqual({ handoffs: [] })
    expect((await agentCall('GET', `/conversations/${conversationId}/notes`)).body).toEqual({ notes: [] })

    const desk = (await agentCall('GET', `/conversations/${conversationId}/desk`)).body
    expect(desk).toMatchObject({ conversation: { id: conversationId, channel: 'websocket' }, notes: [], customer: null, handoff: null, tickets: [{ reference: 'T-1' }] })
    expect(desk.messages.map((m: { direction: string; senderRole: string; text: string }) => [m.direction, m.senderRole, m.text])).toEqual([
      ['in', 'user', 'My parcel never arrived'],
      ['out', 'bot', 'The bot hears you.'],
      ['out', 'system', "We've opened ticket T-1 for you: Parcel never arrived. We'll keep you posted."],
    ])
  })
})
