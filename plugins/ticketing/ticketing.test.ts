import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Tokens } from '../../core/di/tokens.js'
import type { NamedHooks } from '../../core/pipeline/pipeline.js'
import { engines, type TestDatabase } from '../../test/databases.js'
import { deskWorld, type DeskWorld } from '../../test/kit/support-desk.js'
import customers from '../customers/index.js'
import '../intent/types.js'
import ticketing from './index.js'
import { TicketingConfig } from './manifest.js'
import { ticketPolicy, ticketPriority } from './policy.js'
import { ticketTrigger } from './triggers.js'

/** Stands in for intent and the agent: complaints, requests for a person, and questions it cannot answer. */
const bot: NamedHooks = {
  id: 'bot',
  async inbound(turn, next) {
    if (/terrible|投诉/i.test(turn.activity.text)) turn.state.intent = { name: 'complaint', confidence: 0.9, source: 'builtin', alternatives: [] }
    if (/person/i.test(turn.activity.text)) turn.state.escalate = { reason: 'asked_for_human', by: 'bot' }
    await next()
  },
  async respond(turn) {
    const known = !/\?$/.test(turn.activity.text)
    turn.annotations.grounded = known
    return { parts: [{ type: 'text', text: known ? 'bot: ok' : 'Sorry, I don’t know that.' }] }
  },
}

describe.each(engines)('tickets the bot opens by itself, on %s', (_name, open) => {
  let t: TestDatabase
  let world: DeskWorld
  const start = async (config: Record<string, unknown> = {}) =>
    (world = await deskWorld(t, [{ plugin: customers, config: { vip: { rules: [{ level: 2, when: { userIds: ['tg-vip'] } }] } } }, { plugin: ticketing, config }], bot))

  beforeEach(async () => {
    t = await open()
  })
  afterEach(async () => {
    await world?.close()
    await t.drop()
  })

  it('opens one for a complaint, tells the customer its number, and says nothing more about it the next time', async () => {
    const w = await start({ prefix: 'CS' })
    const chat = await w.conversation('tg-kim')
    const first = await w.say(chat, 'This is terrible, the charger arrived broken')
    expect(first.texts).toEqual(['bot: ok', 'We\'ve opened ticket CS-1 for you: This is terrible, the charger arrived broken. We\'ll keep you posted.'])
    const ticket = (await w.root.resolve(Tokens.Tickets).get(w.tenant, 'CS-1'))!
    expect(ticket).toMatchObject({ priority: 'high', source: 'complaint', status: 'open', conversationIds: [chat], customerId: expect.any(String) })
    expect(w.events).toContainEqual({ type: 'ticket', ticket: expect.objectContaining({ reference: 'CS-1' }) })

    expect((await w.say(chat, 'Still terrible!')).texts).toEqual(['bot: ok'])
    expect(await w.root.resolve(Tokens.Tickets).list(w.tenant, {})).toHaveLength(1)
    await w.audit.flush()
    expect((await w.audit.query(w.tenant, { action: 'ticket.create' })).map((e) => e.actor)).toEqual([{ type: 'system', id: 'plugin:ticketing' }])
  })

  it('opens one after two unanswered questions in a row, and raises a VIP’s priority', async () => {
    const w = await start({ priority: { vip: { '2': 'urgent' } } })
    const chat = await w.conversation('tg-vip')
    expect((await w.say(chat, 'can I pay with gold?')).texts).toEqual(['Sorry, I don’t know that.'])
    expect((await w.say(chat, 'fine')).texts).toEqual(['bot: ok'])
    await w.say(chat, 'and with silver?')
    const second = await w.say(chat, 'or with shells?')
    expect(second.texts[1]).toMatch(/^We've opened ticket T-1 for you: or with shells\?/)
    expect(second.turn.state.ticket).toMatchObject({ source: 'unresolved', priority: 'urgent', vipLevel: 2 })
  })

  it('tells a Chinese-speaking customer in Chinese', async () => {
    const w = await start()
    const chat = await w.conversation('tg-wang')
    const said = await w.say(chat, '你们的服务太差了，我要投诉')
    expect(said.texts[1]).toMatch(/^我们已为您创建工单 T-1/)
  })
})

describe('when a ticket is due and how urgent it is', () => {
  const config = TicketingConfig.parse({ sla: { firstResponseMinutes: { urgent: 5 }, vipFactor: { '4': 0.1 } }, priority: { vip: { '1': 'medium', '3': 'urgent' } } })

  it('lays the tenant’s overrides over the default SLA', () => {
    const { sla } = ticketPolicy(config)
    expect(sla.firstResponseMinutes).toEqual({ urgent: 5, high: 60, medium: 240, low: 1440 })
    expect(sla.vipFactor).toEqual({ 1: 0.75, 2: 0.5, 3: 0.25, 4: 0.1 })
  })

  it('raises, never lowers, the priority by VIP level, a level without an entry taking the next lower one’s', () => {
    expect(ticketPriority(config.priority, 'unresolved', 0)).toBe('low')
    expect(ticketPriority(config.priority, 'unresolved', 2)).toBe('medium')
    expect(ticketPriority(config.priority, 'complaint', 1)).toBe('high')
    expect(ticketPriority(config.priority, 'escalation', 9)).toBe('urgent')
  })

  it('counts unanswered turns only on the agent’s own verdict, and prefers the complaint as the reason', () => {
    const create = config.create
    const turn = (state: Record<string, unknown>, annotations: Record<string, unknown> = {}) => ({ state, annotations }) as never
    expect(ticketTrigger(turn({}, { grounded: false }), create, { unanswered: 1 })).toEqual({ reason: 'unresolved', memory: { unanswered: 0 } })
    expect(ticketTrigger(turn({}), create, { unanswered: 1 })).toEqual({ memory: { unanswered: 1 } })
    expect(ticketTrigger(turn({}, { grounded: true }), create, { unanswered: 1 })).toEqual({ memory: { unanswered: 0 } })
    expect(ticketTrigger(turn({ intent: { name: 'complaint' }, escalate: { reason: 'anger' } }), create, { unanswered: 0 }).reason).toBe('complaint')
    expect(ticketTrigger(turn({ escalate: { reason: 'asked_for_human' } }), { ...create, onEscalation: false }, { unanswered: 0 }).reason).toBeUndefined()
  })
})
