import { describe, expect, it } from 'vitest'
import { engines } from '../../test/databases.js'
import { agent, deskPerTest } from '../../test/kit/support.js'
import { DEFAULT_TICKET_POLICY } from './sla.js'
import type { NewTicket } from './types.js'

const sla = DEFAULT_TICKET_POLICY.sla
const MINUTE = 60_000

describe.each(engines)('tickets on %s', (_name, open) => {
  const world = deskPerTest(open)
  const alice = agent('alice', 'Alice')
  const bob = agent('bob', 'Bob')


  const open_ = (input: Partial<NewTicket> = {}, tenant = 'acme', prefix?: string) =>
    world.desk.tickets.create(tenant, { subject: 'Parcel never arrived', priority: 'medium', source: 'agent', ...input }, alice, sla, prefix)

  it('numbers each tenant’s tickets on its own, with no gaps or repeats under concurrency', async () => {
    const acme = await Promise.all([1, 2, 3, 4, 5].map(() => open_()))
    const globex = await open_({}, 'globex', 'SUP')
    expect(acme.map((x) => x.number).sort()).toEqual([1, 2, 3, 4, 5])
    expect(acme.find((x) => x.number === 3)!.reference).toBe('T-3')
    expect(globex).toMatchObject({ number: 1, reference: 'SUP-1', tenant: 'globex' })
  })

  it('opens with due times by priority, tightened for a VIP customer, and links the conversation', async () => {
    const customer = await world.desk.customers.resolve('acme', { channel: 'websocket', instance: 'web', userId: 'v1' })
    await world.desk.customers.setVip('acme', customer.id, 2, 'rule')
    const chat = await world.desk.conversation('acme', 'v1')
    const opened = world.desk.clock.date()
    const ticket = await open_({ priority: 'high', customerId: customer.id, conversationId: chat.id, description: 'Order 1042' })
    expect(ticket).toMatchObject({
      status: 'open',
      priority: 'high',
      vipLevel: 2,
      customerId: customer.id,
      conversationIds: [chat.id],
      description: 'Order 1042',
      createdBy: 'key:alice',
      version: 1,
      firstRespondedAt: null,
      resolvedAt: null,
    })
    // High: 60 and 1440 minutes, halved for VIP level 2.
    expect(ticket.firstResponseDueAt.getTime() - opened.getTime()).toBe(30 * MINUTE)
    expect(ticket.resolveDueAt.getTime() - opened.getTime()).toBe(720 * MINUTE)
    expect(await world.desk.tickets.openForConversation('acme', chat.id)).toMatchObject({ id: ticket.id })
  })

  it('is found by id, by number and by a reference with any prefix', async () => {
    await open_()
    const second = await open_()
    for (const key of [second.id, '2', 'T-2', 'SUP-2']) expect((await world.desk.tickets.get('acme', key))?.id).toBe(second.id)
    expect(await world.desk.tickets.get('acme', 'T-99')).toBeUndefined()
    expect(await world.desk.tickets.get('acme', '99999999999999999999')).toBeUndefined()
  })

  it('a ticket cannot skip from pending to closed, nor leave closed; the 409 lists the allowed statuses', async () => {
    const ticket = await open_()
    await world.desk.tickets.update('acme', ticket.id, { status: 'pending' }, alice)
    await expect(world.desk.tickets.update('acme', ticket.id, { status: 'closed' }, alice)).rejects.toMatchObject({
      code: 'SB_ERR_INVALID_TRANSITION',
      status: 409,
      message: 'a ticket cannot go from pending to closed; allowed from pending: in_progress, resolved',
      details: [{ path: 'body.status', message: 'allowed from pending: in_progress, resolved' }],
    })
    await world.desk.tickets.update('acme', ticket.id, { status: 'resolved' }, alice)
    await world.desk.tickets.update('acme', ticket.id, { status: 'closed' }, alice)
    await expect(world.desk.tickets.update('acme', ticket.id, { status: 'open' }, alice)).rejects.toMatchObject({
      code: 'SB_ERR_INVALID_TRANSITION',
      details: [{ path: 'body.status', message: 'allowed from closed: none (closed is final)' }],
    })
    // Nothing about the refused moves was written.
    expect((await world.desk.tickets.get('acme', ticket.id))!).toMatchObject({ status: 'closed', version: 4 })
  })

  it('reopened from resolved: the resolve time is cleared and the reopening is in the history', async () => {
    const ticket = await open_()
    world.desk.clock.advance(5 * MINUTE)
    const resolved = await world.desk.tickets.update('acme', ticket.id, { status: 'resolved' }, alice)
    expect(resolved.resolvedAt).toEqual(world.desk.clock.date())
    world.desk.clock.advance(5 * MINUTE)
    const reopened = await world.desk.tickets.update('acme', ticket.id, { status: 'open', note: 'customer says it is still broken' }, bob)
    expect(reopened).toMatchObject({ status: 'open', resolvedAt: null, version: 3 })
    const last = (await world.desk.tickets.history('acme', ticket.id)).at(-1)!
    expect(last).toMatchObject({ kind: 'updated', actor: { type: 'key', id: 'bob', name: 'Bob' }, note: 'customer says it is still broken' })
    expect(last.changes.status).toEqual({ from: 'resolved', to: 'open' })
  })

  it('history holds every change, who made it and when, in order', async () => {
    const ticket = await open_({ priority: 'low' })
    world.desk.clock.advance(MINUTE)
    await world.desk.tickets.update('acme', ticket.id, { status: 'in_progress', assignee: 'alice' }, alice)
    world.desk.clock.advance(MINUTE)
    const raised = await world.desk.tickets.update('acme', ticket.id, { priority: 'urgent', subject: 'Parcel lost' }, bob)
    await world.desk.tickets.update('acme', ticket.id, { note: 'called the courier' }, bob)
    const chat = await world.desk.conversation('acme', 'v2')
    await world.desk.tickets.link('acme', ticket.id, chat.id, bob)
    // Linking twice is one link.
    await world.desk.tickets.link('acme', ticket.id, chat.id, bob)

    // Urgent moves the due times, still counted from the opening.
    expect(raised.firstResponseDueAt.getTime() - ticket.createdAt.getTime()).toBe(15 * MINUTE)
    const history = await world.desk.tickets.history('acme', ticket.id)
    expect(history.map((e) => [e.kind, e.actor.id, Object.keys(e.changes).sort()])).toEqual([
      ['created', 'alice', ['priority', 'status']],
      ['updated', 'alice', ['assignee', 'status']],
      ['updated', 'bob', ['firstResponseDueAt', 'priority', 'resolveDueAt', 'subject']],
      ['commented', 'bob', []],
      ['linked', 'bob', ['conversationIds']],
    ])
    expect(history[2]!.changes.priority).toEqual({ from: 'low', to: 'urgent' })
    expect(history[1]!.at.getTime() - history[0]!.at.getTime()).toBe(MINUTE)
    expect(await world.desk.tickets.get('acme', ticket.id)).toMatchObject({ version: 5, conversationIds: [chat.id], subject: 'Parcel lost', assignee: 'alice' })
  })

  it('refuses an update made against a stale version and names the current one', async () => {
    const ticket = await open_()
    await world.desk.tickets.update('acme', ticket.id, { assignee: 'alice', version: 1 }, alice)
    await expect(world.desk.tickets.update('acme', ticket.id, { assignee: 'bob', version: 1 }, bob)).rejects.toMatchObject({
      code: 'SB_ERR_CONFLICT',
      message: 'ticket changed since version 1; now 2',
    })
    expect((await world.desk.tickets.get('acme', ticket.id))!.assignee).toBe('alice')
  })

  it('lists by status, priority, assignee, customer and conversation', async () => {
    const chat = await world.desk.conversation('acme', 'v3')
    const a = await open_({ priority: 'urgent', conversationId: chat.id, assignee: 'alice' })
    const b = await open_({ priority: 'low' })
    await world.desk.tickets.update('acme', b.id, { status: 'pending' }, alice)
    const ids = async (filter: Parameters<typeof world.desk.tickets.list>[1]) => (await world.desk.tickets.list('acme', filter)).map((x) => x.id)
    expect(await ids({ status: ['open', 'pending'] })).toEqual([b.id, a.id])
    expect(await ids({ status: ['pending'] })).toEqual([b.id])
    expect(await ids({ priority: 'urgent' })).toEqual([a.id])
    expect(await ids({ assignee: 'alice' })).toEqual([a.id])
    expect(await ids({ conversationId: chat.id })).toEqual([a.id])
    expect(await ids({ limit: 1 })).toEqual([b.id])
  })

  it('counts SLA breaches until the first response and the resolution stop the clocks', async () => {
    const urgent = await open_({ priority: 'urgent' })
    await open_({ priority: 'low' })
    expect(await world.desk.tickets.breaching('acme', world.desk.clock.date())).toEqual({ firstResponse: 0, resolve: 0 })
    world.desk.clock.advance(16 * MINUTE)
    expect(await world.desk.tickets.breaching('acme', world.desk.clock.date())).toEqual({ firstResponse: 1, resolve: 0 })
    await world.desk.tickets.markFirstResponse('acme', urgent.id)
    world.desk.clock.advance(4 * 60 * MINUTE)
    expect(await world.desk.tickets.breaching('acme', world.desk.clock.date())).toEqual({ firstResponse: 0, resolve: 1 })
    await world.desk.tickets.update('acme', urgent.id, { status: 'resolved' }, alice)
    expect(await world.desk.tickets.breaching('acme', world.desk.clock.date())).toEqual({ firstResponse: 0, resolve: 0 })
  })

  it('tenant B cannot see, update or link tenant A’s tickets, nor open one on A’s conversation or customer', async () => {
    const chat = await world.desk.conversation('acme', 'v4')
    const customer = await world.desk.customers.resolve('acme', { channel: 'websocket', instance: 'web', userId: 'v4' })
    const ticket = await open_({ conversationId: chat.id })
    expect(await world.desk.tickets.get('globex', ticket.id)).toBeUndefined()
    expect(await world.desk.tickets.get('globex', 'T-1')).toBeUndefined()
    expect(await world.desk.tickets.list('globex', {})).toEqual([])
    await expect(world.desk.tickets.update('globex', ticket.id, { status: 'closed' }, bob)).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    const theirs = await open_({}, 'globex')
    await expect(world.desk.tickets.link('globex', theirs.id, chat.id, bob)).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    await expect(open_({ conversationId: chat.id }, 'globex')).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND', details: [{ path: 'conversationId' }] })
    await expect(open_({ customerId: customer.id }, 'globex')).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND', details: [{ path: 'customerId' }] })
    expect(await world.desk.tickets.get('acme', ticket.id)).toMatchObject({ status: 'open', version: 1 })
  })
})
