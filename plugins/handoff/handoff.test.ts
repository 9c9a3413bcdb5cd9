import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Tokens } from '../../core/di/tokens.js'
import type { NamedHooks } from '../../core/pipeline/pipeline.js'
import { waitUntil } from '../../test/contract/wait.js'
import { engines, type TestDatabase } from '../../test/databases.js'
import { deskWorld, type DeskWorld } from '../../test/kit/support-desk.js'
import customers from '../customers/index.js'
import ticketing from '../ticketing/index.js'
import handoff from './index.js'
import { handoffReason } from './middleware.js'

/** Stands in for intent, sentiment and the agent: asks for a person when told to, echoes otherwise. */
const bot: NamedHooks = {
  id: 'bot',
  async inbound(turn, next) {
    if (/human|person|人工/i.test(turn.activity.text)) turn.state.escalate = { reason: 'asked_for_human', by: 'bot' }
    await next()
  },
  async respond(turn) {
    const asked = turn.state.escalate !== undefined
    return { parts: [{ type: 'text', text: asked ? 'Let me get someone.' : `bot: ${turn.activity.text}` }], ...(asked ? { handoff: true } : {}) }
  },
}

const ana = { type: 'user' as const, id: 'u_ana', name: 'Ana' }
const ben = { type: 'key' as const, id: 'k_ben', name: 'Ben' }
const MINUTE = 60_000

describe.each(engines)('handing a conversation to a person, on %s', (_name, open) => {
  let t: TestDatabase
  let world: DeskWorld
  const start = async (handoffConfig: Record<string, unknown> = {}, customersConfig: Record<string, unknown> = {}) => {
    world = await deskWorld(t, [{ plugin: customers, config: customersConfig }, { plugin: handoff, config: handoffConfig }, { plugin: ticketing }], bot)
    return world
  }

  beforeEach(async () => {
    t = await open()
  })
  afterEach(async () => {
    await world?.close()
    await t.drop()
  })

  it('queues a customer who asks for a person, keeps the bot quiet while a person has them, and gives them back', async () => {
    const w = await start()
    const chat = await w.conversation('tg-ana')
    const asked = await w.say(chat, 'I want to talk to a human please')
    expect(asked.texts).toEqual([
      'I’m connecting you with a person. You’re next in line; expected wait about 2 minutes.',
      expect.stringMatching(/^We've opened ticket T-1 for you: I want to talk to a human please/),
    ])

    // Waiting: the bot says nothing, and the place in line is not repeated on every message.
    expect((await w.say(chat, 'hello?')).texts).toEqual([])
    w.advance(MINUTE)
    expect((await w.say(chat, 'still there?')).texts).toEqual(['You’re next in line; expected wait about 2 minutes.'])

    const taken = await w.desk().take(ana)
    expect(taken).toMatchObject({ conversationId: chat, state: 'assigned', agentId: 'u_ana' })
    expect(w.delivered.at(-1)).toMatchObject({ conversationId: chat, text: 'Ana has joined the conversation.', sender: { role: 'system' } })

    w.advance(20_000)
    const sent = await w.desk().reply(ana, taken!.id, 'Hi, Ana here. What is the order number?')
    expect(sent.messageId).toMatch(/^m_desk_/)
    expect(w.delivered.at(-1)).toMatchObject({ text: 'Hi, Ana here. What is the order number?', sender: { id: 'u_ana', role: 'agent', name: 'Ana' } })
    expect((await w.say(chat, 'A-1009')).texts).toEqual([])
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'message', conversationId: chat, message: expect.objectContaining({ direction: 'in', text: 'A-1009' }) }))

    await w.desk().resolve(ana, taken!.id)
    expect(w.delivered.slice(-2).map((d) => d.text)).toEqual(['Thanks for your patience — you’re back with the assistant.', 'How would you rate the help you got, from 1 (poor) to 5 (excellent)?'])
    expect((await w.say(chat, '5')).texts).toEqual(['Thank you for your feedback!'])
    expect((await w.say(chat, 'where is my parcel?')).texts).toEqual(['bot: where is my parcel?'])

    const ticket = await w.root.resolve(Tokens.Tickets).get(w.tenant, 'T-1')
    expect(ticket).toMatchObject({ status: 'resolved', assignee: 'u_ana', source: 'escalation' })
    expect(ticket!.firstRespondedAt).not.toBeNull()
    const customer = await w.root.resolve(Tokens.Customers).forConversation(w.tenant, chat)
    expect(customer!.satisfaction).toEqual({ count: 1, average: 5 })
    await w.audit.flush()
    // Agents' own actions are audited by the admin API they come through; the desk records the rest.
    expect((await w.audit.query(w.tenant)).map((e) => [e.action, e.actor.id])).toEqual([
      ['ticket.create', 'plugin:ticketing'],
      ['handoff.queued', 'plugin:handoff'],
    ])
  })

  it('serves the higher VIP level first even when a regular customer waited longer', async () => {
    const w = await start({}, { vip: { rules: [{ level: 2, when: { userIds: ['tg-gold'] } }] } })
    const regular = await w.conversation('tg-plain')
    const gold = await w.conversation('tg-gold')
    await w.say(regular, 'a person please')
    w.advance(MINUTE)
    const vip = await w.say(gold, 'a person please')
    expect(vip.texts[0]).toContain('You’re next in line')
    expect((await w.desk().queue()).map((q) => [q.conversationId, q.position])).toEqual([
      [gold, 1],
      [regular, 2],
    ])
    expect((await w.desk().take(ana))!.conversationId).toBe(gold)
    expect((await w.desk().take(ben))!.conversationId).toBe(regular)
  })

  it('lets one of two agents win a race for the same conversation and tells the other who has it', async () => {
    const w = await start()
    const chat = await w.conversation('tg-race')
    await w.say(chat, 'human!')
    const [queued] = await w.desk().queue()
    const results = await Promise.allSettled([w.desk().take(ana, queued!.id), w.desk().take(ben, queued!.id)])
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost[0]!.reason).toMatchObject({ code: 'SB_ERR_ALREADY_TAKEN', message: expect.stringMatching(/already taken by (Ana|Ben)/) })
    const winner = (won[0] as PromiseFulfilledResult<{ agentId: string }>).value.agentId === ana.id ? ana : ben
    const loser = winner === ana ? ben : ana
    await expect(w.desk().reply(loser, queued!.id, 'me too')).rejects.toMatchObject({ code: 'SB_ERR_ALREADY_TAKEN' })
    await w.desk().resolve(winner, queued!.id)
    await expect(w.desk().reply(winner, queued!.id, 'one more thing')).rejects.toMatchObject({ code: 'SB_ERR_HANDOFF_ENDED' })
    expect(w.delivered.filter((d) => d.sender.role === 'agent')).toEqual([])
  })

  it('tells a customer outside business hours when the team is back, and opens a ticket instead of queueing', async () => {
    // Monday 2 March 2026, 10:00 UTC is 19:00 in Shanghai: closed until Tuesday 09:00 there.
    const w = await start({ businessHours: { timezone: 'Asia/Shanghai', days: { mon: ['09:00-18:00'], tue: ['09:00-18:00'] } } })
    const chat = await w.conversation('tg-late')
    const late = await w.say(chat, '我要人工客服', { locale: 'zh-CN' })
    expect(late.texts[0]).toBe('我们的客服团队目前不在线，将于明天09:00（Asia/Shanghai）恢复服务，届时会回复您。')
    expect(late.texts[1]).toMatch(/^我们已为您创建工单 T-1/)
    expect(await w.desk().queue()).toEqual([])
    expect((await w.say(chat, 'hello')).texts).toEqual(['bot: hello'])
  })

  it('puts a caller straight through on the phone, out of the agents’ queue, and ends it when the call does', async () => {
    const w = await start({ sweepEverySeconds: 1 })
    const handoffs = w.root.resolve(Tokens.Handoffs)
    const call = await w.conversation('+15550100', 'voice', 'phone')
    const asked = await w.say(call, 'let me speak to a person', { channel: 'voice', instance: 'phone' })
    expect(asked.replies).toEqual([{ parts: [{ type: 'text', text: 'I’m connecting you with a person.' }], handoff: true }])
    expect(await w.desk().queue()).toEqual([])
    const live = await handoffs.live(w.tenant, call)
    expect(live).toMatchObject({ state: 'assigned', agentId: 'phone-transfer' })
    // A long call is not idle: the sweeper leaves it alone until the line closes.
    w.advance(3 * 60 * MINUTE)
    await w.root.resolve(Tokens.Conversations).close(w.tenant, call)
    const ended = await waitUntil(async () => (await handoffs.get(w.tenant, live!.id))?.state === 'resolved' && handoffs.get(w.tenant, live!.id), 'the transfer to end with the call')
    expect(ended).toMatchObject({ endReason: 'call ended' })
  })

  it('gives up on a customer nobody took in time: they are told, and a ticket keeps their request', async () => {
    const w = await start({ abandonAfterMinutes: 5, sweepEverySeconds: 1 })
    const chat = await w.conversation('tg-wait')
    await w.say(chat, 'hello')
    w.delivered.length = 0
    const queued = await w.say(chat, 'a person please')
    expect(queued.texts).toHaveLength(2)
    w.advance(6 * MINUTE)
    const told = await waitUntil(() => w.delivered[0], 'the customer to be told')
    expect(told).toMatchObject({ conversationId: chat, text: 'Sorry, nobody could get to you in time. Our team will follow up on your request.' })
    expect((await w.say(chat, 'hello again')).texts).toEqual(['bot: hello again'])
    expect(await w.root.resolve(Tokens.Tickets).openForConversation(w.tenant, chat)).toMatchObject({ reference: 'T-1' })
  })

  it('sends a taken conversation that went quiet back to the bot', async () => {
    const w = await start({ idleAfterMinutes: 10, sweepEverySeconds: 1 })
    const chat = await w.conversation('tg-quiet')
    await w.say(chat, 'a person please')
    await w.desk().take(ana)
    w.advance(11 * MINUTE)
    await waitUntil(() => w.delivered.some((d) => d.text.startsWith('This conversation with our team has ended')), 'the customer to be told')
    expect((await w.say(chat, 'hi')).texts).toEqual(['bot: hi'])
  })

  it('hands over on the tenant’s own rule, and lets an agent open a handoff the customer never asked for', async () => {
    const w = await start({ rules: [{ pattern: '\\blawyer\\b', reason: 'legal' }] })
    const legal = await w.conversation('tg-legal')
    expect((await w.say(legal, 'My lawyer will hear about this')).texts[0]).toMatch(/^I’m connecting you with a person/)
    expect((await w.desk().queue())[0]).toMatchObject({ conversationId: legal, reason: 'legal' })

    const quiet = await w.conversation('tg-quiet-one')
    await w.say(quiet, 'hi')
    const opened = await w.desk().open(ben, quiet, 'vip_followup')
    expect(opened).toMatchObject({ conversationId: quiet, state: 'queued', reason: 'vip_followup' })
    expect(w.delivered.at(-1)!.text).toMatch(/^I’m connecting you with a person\. You’re number 2 in line/)
    await expect(w.desk().open(ben, 'no-such-conversation', 'x')).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
  })
})

describe('why a turn goes to a person', () => {
  const turn = (state: Record<string, unknown>, annotations: Record<string, unknown> = {}, replies: { handoff?: boolean }[] = []) => ({ state, annotations, replies }) as never

  it('takes the escalating plugin’s reason first, then a confident request, then a reply that hands over', () => {
    expect(handoffReason(turn({ escalate: { reason: 'anger', by: 'sentiment' }, intent: { name: 'human_agent' } }))).toBe('anger')
    expect(handoffReason(turn({ intent: { name: 'human_agent', confidence: 0.9 } }))).toBe('asked_for_human')
    expect(handoffReason(turn({ intent: { name: 'human_agent', confidence: 0.2 } }, { lowConfidence: true }))).toBeUndefined()
    expect(handoffReason(turn({}, {}, [{ handoff: true }]))).toBe('bot_handoff')
    expect(handoffReason(turn({}))).toBeUndefined()
  })
})
