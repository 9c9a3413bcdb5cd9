import { describe, expect, it } from 'vitest'
import { engines } from '../../test/databases.js'
import { agent, deskPerTest } from '../../test/kit/support.js'
import { DEFAULT_TICKET_POLICY } from './sla.js'
import type { NewHandoff } from './types.js'

const SECOND = 1000

describe.each(engines)('handoffs and notes on %s', (_name, open) => {
  const world = deskPerTest(open)
  const alice = agent('alice', 'Alice')
  const bob = agent('bob', 'Bob')


  /** A customer asks for a human: their conversation enters the queue now. */
  const asksForHuman = async (user: string, input: Partial<NewHandoff> = {}, tenant = 'acme') => {
    const chat = await world.desk.conversation(tenant, user)
    const { handoff } = await world.desk.handoffs.enqueue(tenant, { conversationId: chat.id, channel: 'websocket', instance: 'web', reason: 'human_agent', vipLevel: 0, ...input }, world.desk.clock.date())
    return handoff
  }

  it('enters the queue once per conversation, however often and however concurrently asked', async () => {
    const chat = await world.desk.conversation('acme', 'v1')
    const input = { conversationId: chat.id, channel: 'websocket', instance: 'web', reason: 'human_agent', vipLevel: 0 }
    const results = await Promise.all([1, 2, 3].map(() => world.desk.handoffs.enqueue('acme', input, world.desk.clock.date())))
    expect(results.filter((r) => r.created)).toHaveLength(1)
    expect(new Set(results.map((r) => r.handoff.id)).size).toBe(1)
    expect(await world.desk.handoffs.live('acme', chat.id)).toMatchObject({ state: 'queued', ticketPriority: 1, version: 1, agentId: null })
  })

  it('VIP 2 is served before VIP 1 who waited longer, and an urgent ticket before a plain wait', async () => {
    const longWait = await asksForHuman('regular', { vipLevel: 0 })
    world.desk.clock.advance(10 * SECOND)
    const vip1 = await asksForHuman('vip-one', { vipLevel: 1 })
    world.desk.clock.advance(10 * SECOND)
    const urgent = await asksForHuman('urgent', { vipLevel: 0 })
    const ticket = await world.desk.tickets.create('acme', { subject: 'Card stolen', priority: 'urgent', source: 'escalation', conversationId: urgent.conversationId }, alice, DEFAULT_TICKET_POLICY.sla)
    await world.desk.handoffs.linkTicket('acme', urgent.id, ticket.id, 3)
    world.desk.clock.advance(10 * SECOND)
    const vip2 = await asksForHuman('vip-two', { vipLevel: 2 })

    const queue = await world.desk.handoffs.queue('acme')
    expect(queue.map((h) => [h.id, h.position])).toEqual([[vip2.id, 1], [vip1.id, 2], [urgent.id, 3], [longWait.id, 4]])
    expect(queue[2]).toMatchObject({ ticketId: ticket.id, ticketPriority: 3 })
    expect(await world.desk.handoffs.position('acme', vip1.id)).toEqual({ position: 2, queued: 4 })
    expect((await world.desk.handoffs.take('acme', alice, undefined, world.desk.clock.date()))!.id).toBe(vip2.id)
    expect((await world.desk.handoffs.take('acme', bob, undefined, world.desk.clock.date()))!.id).toBe(vip1.id)
    expect(await world.desk.handoffs.position('acme', longWait.id)).toEqual({ position: 2, queued: 2 })
    expect(await world.desk.handoffs.position('acme', vip1.id)).toBeUndefined()
  })

  it('two agents take the same handoff at once: one wins, the other is told who has it', async () => {
    const waiting = await asksForHuman('v1')
    const [first, second] = await Promise.allSettled([
      world.desk.handoffs.take('acme', alice, waiting.id, world.desk.clock.date()),
      world.desk.handoffs.take('acme', bob, waiting.id, world.desk.clock.date()),
    ])
    const outcomes = [first, second]
    const won = outcomes.filter((o) => o.status === 'fulfilled')
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof world.desk.handoffs.take>>>).value!
    expect(lost[0]!.reason).toMatchObject({ code: 'SB_ERR_ALREADY_TAKEN', status: 409, message: `already taken by ${winner.agentName}` })
    expect(await world.desk.handoffs.get('acme', waiting.id)).toMatchObject({ state: 'assigned', agentId: winner.agentId, version: 2 })
    // The winner asking again (a double click) just gets it back.
    expect(await world.desk.handoffs.take('acme', winner.agentId === 'alice' ? alice : bob, waiting.id, world.desk.clock.date())).toMatchObject({ id: waiting.id, version: 2 })
  })

  it('agents taking "the next" at the same time each get a different conversation; an empty queue gives none', async () => {
    await asksForHuman('v1')
    await asksForHuman('v2')
    const taken = await Promise.all([alice, bob, agent('carol')].map((a) => world.desk.handoffs.take('acme', a, undefined, world.desk.clock.date())))
    const ids = taken.filter(Boolean).map((h) => h!.id)
    expect(ids).toHaveLength(2)
    expect(new Set(ids).size).toBe(2)
    expect(taken.filter((h) => h === undefined)).toHaveLength(1)
  })

  it('walks queued → assigned → agent_active → resolved, stamping each step once', async () => {
    const waiting = await asksForHuman('v1', { vipLevel: 1, language: 'zh-CN' })
    world.desk.clock.advance(12 * SECOND)
    const assigned = await world.desk.handoffs.take('acme', alice, waiting.id, world.desk.clock.date())
    expect(assigned).toMatchObject({ state: 'assigned', agentId: 'alice', agentName: 'Alice', assignedAt: world.desk.clock.date(), firstResponseAt: null })
    world.desk.clock.advance(8 * SECOND)
    const firstReply = world.desk.clock.date()
    const active = await world.desk.handoffs.agentReplied('acme', waiting.id, firstReply)
    expect(active).toMatchObject({ state: 'agent_active', firstResponseAt: firstReply, lastAgentAt: firstReply, version: 3 })
    world.desk.clock.advance(30 * SECOND)
    await world.desk.handoffs.customerWrote('acme', waiting.id, world.desk.clock.date())
    const again = await world.desk.handoffs.agentReplied('acme', waiting.id, world.desk.clock.advance(SECOND))
    expect(again.firstResponseAt).toEqual(firstReply)
    expect(again.lastCustomerAt).toEqual(new Date(world.desk.clock.now() - SECOND))
    const resolved = await world.desk.handoffs.end('acme', waiting.id, 'resolved', 'agent resolved', world.desk.clock.date())
    expect(resolved).toMatchObject({ state: 'resolved', endReason: 'agent resolved', endedAt: world.desk.clock.date() })
    expect(await world.desk.handoffs.live('acme', waiting.conversationId)).toBeUndefined()
  })

  it('a reply to a resolved conversation, a take of an ended one or an early reply are clear refusals', async () => {
    const waiting = await asksForHuman('v1')
    await expect(world.desk.handoffs.agentReplied('acme', waiting.id, world.desk.clock.date())).rejects.toMatchObject({ code: 'SB_ERR_CONFLICT', message: expect.stringContaining('take it first') })
    await world.desk.handoffs.take('acme', alice, waiting.id, world.desk.clock.date())
    await world.desk.handoffs.end('acme', waiting.id, 'resolved', 'done', world.desk.clock.date())
    await expect(world.desk.handoffs.agentReplied('acme', waiting.id, world.desk.clock.date())).rejects.toMatchObject({ code: 'SB_ERR_HANDOFF_ENDED', status: 409 })
    await expect(world.desk.handoffs.take('acme', bob, waiting.id, world.desk.clock.date())).rejects.toMatchObject({ code: 'SB_ERR_HANDOFF_ENDED' })
    await expect(world.desk.handoffs.end('acme', waiting.id, 'abandoned', 'timeout', world.desk.clock.date())).rejects.toMatchObject({ code: 'SB_ERR_HANDOFF_ENDED' })
    await expect(world.desk.handoffs.take('acme', bob, 'ho_nope', world.desk.clock.date())).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    // The conversation can go to a human again: a new handoff, the old one kept as history.
    const next = await asksForHuman('v1')
    expect(next.id).not.toBe(waiting.id)
    expect((await world.desk.handoffs.list('acme', {})).map((h) => h.state)).toEqual(['queued', 'resolved'])
  })

  it('released, a conversation goes back to its old place in line', async () => {
    const first = await asksForHuman('v1')
    world.desk.clock.advance(SECOND)
    const second = await asksForHuman('v2')
    await world.desk.handoffs.take('acme', alice, first.id, world.desk.clock.date())
    await world.desk.handoffs.agentReplied('acme', first.id, world.desk.clock.date())
    const released = await world.desk.handoffs.release('acme', first.id, alice)
    expect(released).toMatchObject({ state: 'queued', agentId: null, agentName: null, assignedAt: null, queuedAt: first.queuedAt, version: 4 })
    expect((await world.desk.handoffs.queue('acme')).map((h) => h.id)).toEqual([first.id, second.id])
    // It keeps the first response it had: the customer's clock does not restart.
    expect(released.firstResponseAt).not.toBeNull()
  })

  it('finds the stale ones: waiting too long, or with an agent but idle', async () => {
    const waiting = await asksForHuman('v1')
    const idle = await asksForHuman('v2')
    const busy = await asksForHuman('v3')
    await world.desk.handoffs.take('acme', alice, idle.id, world.desk.clock.date())
    await world.desk.handoffs.take('acme', bob, busy.id, world.desk.clock.date())
    world.desk.clock.advance(10 * 60 * SECOND)
    await world.desk.handoffs.customerWrote('acme', busy.id, world.desk.clock.date())
    const stale = await world.desk.handoffs.stale('acme', { queuedBefore: new Date(world.desk.clock.now() - 5 * 60 * SECOND), idleSince: new Date(world.desk.clock.now() - 5 * 60 * SECOND) })
    expect(stale.map((h) => h.id).sort()).toEqual([waiting.id, idle.id].sort())
  })

  it('lists by state and agent, and counts the queue per VIP level with the oldest wait', async () => {
    const a = await asksForHuman('v1', { vipLevel: 0 })
    world.desk.clock.advance(30 * SECOND)
    await asksForHuman('v2', { vipLevel: 0 })
    await asksForHuman('v3', { vipLevel: 2 })
    const mine = await asksForHuman('v4', { vipLevel: 1 })
    await world.desk.handoffs.take('acme', alice, mine.id, world.desk.clock.date())
    world.desk.clock.advance(15 * SECOND)
    expect(await world.desk.handoffs.queueLengths('acme')).toEqual([
      { vipLevel: 0, queued: 2, oldestSeconds: 45 },
      { vipLevel: 2, queued: 1, oldestSeconds: 15 },
    ])
    expect((await world.desk.handoffs.list('acme', { agentId: 'alice', states: ['assigned', 'agent_active'] })).map((h) => h.id)).toEqual([mine.id])
    expect((await world.desk.handoffs.list('acme', { states: ['queued'], limit: 10 })).at(-1)!.id).toBe(a.id)
  })

  it('tenant B cannot see, queue, take, reply to or end tenant A’s handoffs', async () => {
    const waiting = await asksForHuman('v1')
    expect(await world.desk.handoffs.get('globex', waiting.id)).toBeUndefined()
    expect(await world.desk.handoffs.queue('globex')).toEqual([])
    expect(await world.desk.handoffs.take('globex', bob, undefined, world.desk.clock.date())).toBeUndefined()
    await expect(world.desk.handoffs.take('globex', bob, waiting.id, world.desk.clock.date())).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    await expect(world.desk.handoffs.end('globex', waiting.id, 'resolved', 'x', world.desk.clock.date())).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    await expect(
      world.desk.handoffs.enqueue('globex', { conversationId: waiting.conversationId, channel: 'websocket', instance: 'web', reason: 'x', vipLevel: 9 }, world.desk.clock.date()),
    ).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    expect(await world.desk.handoffs.get('acme', waiting.id)).toMatchObject({ state: 'queued', version: 1 })
  })

  it('keeps internal notes per conversation, in order, within the tenant', async () => {
    const chat = await world.desk.conversation('acme', 'v1')
    await world.desk.notes.add('acme', chat.id, alice, 'asked for the order number')
    world.desk.clock.advance(SECOND)
    await world.desk.notes.add('acme', chat.id, bob, 'courier confirms loss')
    expect((await world.desk.notes.list('acme', chat.id)).map((n) => [n.authorName, n.text])).toEqual([
      ['Alice', 'asked for the order number'],
      ['Bob', 'courier confirms loss'],
    ])
    await expect(world.desk.notes.add('globex', chat.id, bob, 'snooping')).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    expect(await world.desk.notes.list('globex', chat.id)).toEqual([])
  })
})
