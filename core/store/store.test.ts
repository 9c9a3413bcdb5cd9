import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { engines, type TestDatabase } from '../../test/databases.js'
import { textActivity } from '../../test/kit/activities.js'
import { ConversationRepository } from './conversations.js'
import { DeliveryStore, type InboundRecord, type OutboundMessage } from './delivery-store.js'
import { newId } from './ids.js'
import { migrate } from './migrate.js'
import { TranscriptRepository } from './transcript.js'

describe.each(engines)('repositories on %s', (_name, open) => {
  let t: TestDatabase
  let conversations: ConversationRepository
  let transcript: TranscriptRepository
  let delivery: DeliveryStore

  beforeEach(async () => {
    t = await open()
    conversations = new ConversationRepository(t.db)
    transcript = new TranscriptRepository(t.db)
    delivery = new DeliveryStore(t.db)
  })
  afterEach(async () => {
    await delivery.flush()
    await t.drop()
  })

  const conversation = (tenant = 'acme', externalId = 'visitor-1') =>
    conversations.ensure({ tenant, channel: 'websocket', instance: 'web', externalId, userId: externalId })

  const inbound = (conversationId: string, platformMsgId: string, text: string, tenant = 'acme'): InboundRecord => ({
    tenant,
    instance: 'web',
    platformMsgId,
    conversationId,
    turnId: newId('t_'),
    messageId: newId('m_'),
    activity: textActivity(text, { id: platformMsgId, tenant, conversationId, user: 'visitor-1' }),
    receivedAt: new Date(),
  })
  const reply = (seq: number, text = `reply ${seq}`) => ({ id: newId('m_'), seq, parts: [{ type: 'text' as const, text }], text, createdAt: new Date() })
  /** Accepts a message and commits its turn with these replies. */
  const completeTurn = async (record: InboundRecord, replies: OutboundMessage[], annotations: Record<string, unknown> = {}, outbox = true) =>
    delivery.commitTurn({
      inbound: record,
      botId: 'bot',
      annotations,
      replies,
      outbox,
    })

  it('migrates idempotently', async () => {
    expect(await migrate(t.db)).toEqual([])
  })

  it('finds the same conversation for the same visitor and separates tenants', async () => {
    const first = await conversation()
    const again = await conversation()
    const other = await conversation('globex')
    expect(again.id).toBe(first.id)
    expect(other.id).not.toBe(first.id)
    expect(await conversations.get('globex', first.id)).toBeUndefined()
    expect((await conversations.list('acme')).map((c) => c.id)).toEqual([first.id])
  })

  it('accepts an inbound message once, however often and however concurrently it arrives', async () => {
    const c = await conversation()
    const results = await Promise.all([1, 2, 3].map(() => delivery.accept(inbound(c.id, 'client-1', 'hello'))))
    const later = await delivery.accept(inbound(c.id, 'client-1', 'hello'))
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(1)
    expect(later).toMatchObject({ status: 'duplicate', done: false })
    expect(new Set([...results, later].map((r) => r.messageId)).size).toBe(1)
    expect((await delivery.pendingTurns('acme')).map((p) => p.platformMsgId)).toEqual(['client-1'])
    // Accepted and still being answered: already part of the conversation's history.
    expect((await transcript.history('acme', c.id)).map((m) => [m.direction, m.text])).toEqual([['in', 'hello']])
  })

  it('keeps the same platform id of different tenants apart', async () => {
    const a = await conversation('acme')
    const b = await conversation('globex')
    expect((await delivery.accept(inbound(a.id, 'm-1', 'a', 'acme'))).status).toBe('accepted')
    expect((await delivery.accept(inbound(b.id, 'm-1', 'b', 'globex'))).status).toBe('accepted')
  })

  it('commits a turn atomically: replies, outbox and inbox completion together', async () => {
    const c = await conversation()
    const record = inbound(c.id, 'client-2', 'where is my order?')
    await delivery.accept(record)
    expect((await delivery.pendingTurns('acme')).map((p) => p.turnId)).toEqual([record.turnId])

    const replies = [reply(1), reply(2)]
    await completeTurn(record, replies, { intent: 'order_status' })
    expect(await delivery.pendingTurns('acme')).toEqual([])
    expect((await delivery.pendingOutbox({ tenant: 'acme' })).map((o) => [o.seq, o.text])).toEqual([
      [1, 'reply 1'],
      [2, 'reply 2'],
    ])
    expect(await transcript.lastSeq('acme', c.id)).toBe(2)
    const turn = await transcript.byTurn('acme', record.turnId)
    expect(turn.map((m) => [m.direction, m.seq, m.text])).toEqual([
      ['in', null, 'where is my order?'],
      ['out', 1, 'reply 1'],
      ['out', 2, 'reply 2'],
    ])
    expect(turn[0]!.annotations).toEqual({ intent: 'order_status' })
    expect((await transcript.outboundAfter('acme', c.id, 1)).map((m) => m.seq)).toEqual([2])
    expect(await delivery.accept(inbound(c.id, 'client-2', 'where is my order?'))).toMatchObject({ status: 'duplicate', done: true })

    await delivery.markSent({ tenant: 'acme', id: replies[0]!.id })
    expect((await delivery.pendingOutbox({ tenant: 'acme' })).map((o) => o.seq)).toEqual([2])
    expect(await delivery.outboxStats('acme')).toMatchObject({ pending: 1 })
    expect(await delivery.outboxStats('globex')).toMatchObject({ pending: 0 })
  })

  it('keeps no outbox rows for a resumable channel: its clients read the transcript by seq', async () => {
    const c = await conversation()
    const record = inbound(c.id, 'web-1', 'hi')
    await delivery.accept(record)
    await completeTurn(record, [reply(1)], {}, false)
    expect(await delivery.pendingOutbox({ tenant: 'acme' })).toEqual([])
    expect(await delivery.pendingTurns('acme')).toEqual([])
    expect((await transcript.outboundAfter('acme', c.id, 0)).map((m) => m.text)).toEqual(['reply 1'])
  })

  it('keeps what a reply says beyond its parts with the message: the outbox and the transcript hand it back', async () => {
    const c = await conversation()
    const record = inbound(c.id, 'call-1', 'I want a person')
    await delivery.accept(record)
    await completeTurn(record, [{ ...reply(1, 'Connecting you now.'), hints: { speak: 'Connecting you to a colleague now.', handoff: true } }, reply(2)])
    expect((await delivery.pendingOutbox({ tenant: 'acme' })).map((o) => o.hints)).toEqual([{ speak: 'Connecting you to a colleague now.', handoff: true }, {}])
    expect((await transcript.outboundAfter('acme', c.id, 0))[0]!.annotations).toEqual({ speak: 'Connecting you to a colleague now.', handoff: true })
  })

  it('tells a pending turn from a settled one, whether it replied or not', async () => {
    const c = await conversation()
    const record = inbound(c.id, 'call-2', 'hmm')
    await delivery.accept(record)
    expect(await delivery.turnSettled('acme', record.turnId)).toBe(false)
    await completeTurn(record, [])
    expect(await delivery.turnSettled('acme', record.turnId)).toBe(true)
  })

  it('closes a conversation once: a repeated hang-up changes nothing', async () => {
    const c = await conversation()
    expect(await conversations.close('acme', c.id)).toBe(true)
    expect(await conversations.close('acme', c.id)).toBe(false)
    expect(await conversations.close('globex', c.id)).toBe(false)
    expect((await conversations.get('acme', c.id))?.status).toBe('closed')
  })

  it('commits a turn once: a second commit of the same turn writes nothing', async () => {
    const c = await conversation()
    const record = inbound(c.id, 'raced', 'hi')
    await delivery.accept(record)
    expect(await completeTurn(record, [reply(1)])).toBe(true)
    expect(await completeTurn(record, [reply(2)])).toBe(false)
    expect((await transcript.history('acme', c.id)).map((m) => m.text)).toEqual(['hi', 'reply 1'])
  })

  it('refuses a second reply with the same seq in a conversation', async () => {
    const c = await conversation()
    const commit = async (platformMsgId: string) => {
      const record = inbound(c.id, platformMsgId, 'x')
      await delivery.accept(record)
      await completeTurn(record, [reply(1, 'x')])
    }
    await commit('one')
    await expect(commit('two')).rejects.toThrow()
    expect((await delivery.pendingTurns('acme')).length).toBe(1) // the failed turn is still pending: nothing half-written
  })

  it('sets aside a failed turn, marks attempts and prunes finished dedup keys after the horizon', async () => {
    const c = await conversation()
    const record = inbound(c.id, 'poison', 'x')
    await delivery.accept(record)
    expect((await delivery.pendingTurns('acme'))[0]!.attempts).toBe(1)
    await delivery.failTurn(record)
    expect(await delivery.pendingTurns('acme')).toEqual([])
    expect((await transcript.history('acme', c.id)).map((m) => [m.text, m.annotations])).toEqual([['x', { error: 'SB_ERR_TURN_FAILED' }]])
    expect(await delivery.pruneInbox('acme', new Date(Date.now() - 3_600_000))).toBe(0)
    expect(await delivery.pruneInbox('acme', new Date(Date.now() + 1000))).toBe(1)
  })
})
