import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeyStore } from '../../core/admin/auth/api-keys.js'
import { Tokens } from '../../core/di/tokens.js'
import { waitUntil } from '../contract/wait.js'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.js'
import { AdminClient } from '../harness/admin-client.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { tempConfig, webchatTenant, supportDeskPlugins } from '../kit/tenants.js'

// A Telegram shop with the support desk in front of the demo's classifiers and agent; its agents
// work through the admin API with their own keys, as the console does. A second tenant next door.
let tg: FakeTelegram
let gw: TestGateway
let admin: AdminClient
let config: Awaited<ReturnType<typeof tempConfig>>
const keys: Record<'ana' | 'ben' | 'neighbour', string> = { ana: '', ben: '', neighbour: '' }

const shopTenant = () =>
  stringify({
    id: 'shop',
    channels: [{ id: 'tg', type: 'telegram', config: { botToken: tg.token, apiRoot: tg.apiRoot, publicUrl: gw.url } }],
    plugins: supportDeskPlugins(),
  })

beforeAll(async () => {
  tg = await startFakeTelegram({ limits: false })
  config = await tempConfig({ neighbour: webchatTenant({ id: 'neighbour' }) }, { demoKnowledge: true })
  await writeFile(join(config.dir, 'gateway.yaml'), 'admin:\n  enabled: true\n')
  gw = await startTestGateway({ configDir: config.dir })
  await config.write('shop', shopTenant())
  await gw.gateway.tenants.reload('shop')
  await tg.waitFor(() => tg.webhook.url, 10_000)
  admin = new AdminClient(gw.url)
  const store = gw.gateway.container.resolve(ApiKeyStore)
  keys.ana = (await store.create('shop', { name: 'Ana', role: 'agent', createdBy: 'test' })).key
  keys.ben = (await store.create('shop', { name: 'Ben', role: 'agent', createdBy: 'test' })).key
  keys.neighbour = (await store.create('neighbour', { name: 'Nina', role: 'agent', createdBy: 'test' })).key
}, 60_000)

afterAll(async () => {
  await gw?.close()
  await tg?.close()
  await config?.remove()
})

let nextChat = 8_100_001
const db = () => gw.gateway.container.resolve(Tokens.Database).tenant('shop')
const textsTo = (chat: number, count: number) => tg.waitFor(() => tg.textsTo(chat).length >= count && tg.textsTo(chat), 15_000)
const write = async (chat: number, text: string) => expect((await tg.deliver(tg.updates.message({ chatId: chat, text }))).status).toBe(200)
/** The conversation of a Telegram chat, once its first message is in. */
const conversationOf = (chat: number) =>
  waitUntil(async () => (await db().query<{ id: string }>(`SELECT id FROM conversations WHERE tenant_id = 'shop' AND external_id = $1`, [String(chat)]))[0]?.id, `chat ${chat}'s conversation`)
/** Waits until the customer's message is committed, then says what the turn answered (nothing, while a person has them). */
const answerTo = async (conversationId: string, text: string) => {
  const turn = await waitUntil(
    async () => (await db().query<{ turn_id: string }>(`SELECT turn_id FROM messages WHERE conversation_id = $1 AND direction = 'in' AND text = $2`, [conversationId, text]))[0]?.turn_id,
    `"${text}" to be answered`,
  )
  return (await db().query<{ text: string; sender_role: string }>(`SELECT text, sender_role FROM messages WHERE turn_id = $1 AND direction = 'out' ORDER BY seq`, [turn])).map((m) => m.text)
}

describe('a Telegram customer handed to a person and back', () => {
  it('queues them, lets an agent take over and talk on Telegram while the bot is silent, and hands them back', async () => {
    const chat = nextChat++
    await write(chat, 'I want to talk to a human')
    const told = await textsTo(chat, 2)
    expect(told[0]).toBe('I’m connecting you with a person. You’re next in line; expected wait about 2 minutes.')
    expect(told[1]).toMatch(/^We've opened ticket T-\d+ for you/)
    const conversation = await conversationOf(chat)
    const reference = /T-\d+/.exec(told[1]!)![0]

    const taken = await admin.post('/tenants/shop/handoffs/take', { key: keys.ana, body: {} })
    expect(taken.status).toBe(200)
    expect(taken.body.handoff).toMatchObject({ conversationId: conversation, state: 'assigned', agentName: 'Ana' })
    const handoffId = taken.body.handoff.id as string
    expect((await textsTo(chat, 3))[2]).toBe('Ana has joined the conversation.')

    const reply = await admin.post(`/tenants/shop/handoffs/${handoffId}/reply`, { key: keys.ana, body: { text: 'Hi, I’m Ana. What is your order number?' } })
    expect(reply.status).toBe(201)
    expect((await textsTo(chat, 4))[3]).toBe('Hi, I’m Ana. What is your order number?')

    await write(chat, 'It is A-1009, thanks')
    expect(await answerTo(conversation, 'It is A-1009, thanks')).toEqual([])

    const resolved = await admin.post(`/tenants/shop/handoffs/${handoffId}/resolve`, { key: keys.ana, body: {} })
    expect(resolved.body.handoff).toMatchObject({ state: 'resolved' })
    const after = await textsTo(chat, 6)
    expect(after[4]).toBe('Thanks for your patience — you’re back with the assistant.')
    expect(after[5]).toMatch(/^How would you rate the help you got/)

    await write(chat, 'How much is the Pro plan per month?')
    expect((await answerTo(conversation, 'How much is the Pro plan per month?')).join(' ')).toMatch(/Pro/)

    const ticket = await admin.get(`/tenants/shop/tickets/${reference}`, { key: keys.ana })
    expect(ticket.body.ticket).toMatchObject({ status: 'resolved', source: 'escalation', assignee: expect.any(String) })
    expect(ticket.body.history.map((e: { changes: Record<string, { to: unknown }> }) => e.changes.status?.to).filter(Boolean)).toEqual(['open', 'in_progress', 'resolved'])

    const audit = await gw.gateway.container.resolve(Tokens.Audit).query('shop')
    const actions = audit.map((e) => e.action)
    for (const action of ['ticket.create', 'handoff.queued', 'handoff.take', 'handoff.reply', 'handoff.resolve']) expect(actions).toContain(action)
    expect(audit.find((e) => e.action === 'handoff.reply')!.details).toMatchObject({ messageId: reply.body.messageId })
    expect(JSON.stringify(audit.find((e) => e.action === 'handoff.reply')!.details)).not.toContain('order number')
  })

  it('lets one of two agents taking the same customer win and tells the other who has it; a resolved one takes no replies', async () => {
    const chat = nextChat++
    await write(chat, 'Can I speak to a human agent please')
    await textsTo(chat, 1)
    const queue = await admin.get('/tenants/shop/handoffs/queue', { key: keys.ben })
    const conversation = await conversationOf(chat)
    const waiting = queue.body.queue.find((q: { conversationId: string }) => q.conversationId === conversation)
    const [a, b] = await Promise.all([
      admin.post('/tenants/shop/handoffs/take', { key: keys.ana, body: { handoffId: waiting.id } }),
      admin.post('/tenants/shop/handoffs/take', { key: keys.ben, body: { handoffId: waiting.id } }),
    ])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    const [won, lost] = a.status === 200 ? [a, b] : [b, a]
    expect(lost.body.error).toMatchObject({ code: 'SB_ERR_ALREADY_TAKEN', message: `already taken by ${won.body.handoff.agentName}` })
    const winner = won.body.handoff.agentName === 'Ana' ? keys.ana : keys.ben
    await admin.post(`/tenants/shop/handoffs/${waiting.id}/resolve`, { key: winner, body: {} })
    const late = await admin.post(`/tenants/shop/handoffs/${waiting.id}/reply`, { key: winner, body: { text: 'one more thing' } })
    expect(late.status).toBe(409)
    expect(late.body.error.code).toBe('SB_ERR_HANDOFF_ENDED')
    expect(tg.textsTo(chat)).not.toContain('one more thing')
  })

  it('shows another tenant’s conversation to nobody: 404', async () => {
    const chat = nextChat++
    await write(chat, 'hello')
    const conversation = await conversationOf(chat)
    expect((await admin.get(`/tenants/shop/conversations/${conversation}/desk`, { key: keys.ana })).status).toBe(200)
    expect((await admin.get(`/tenants/neighbour/conversations/${conversation}/desk`, { key: keys.neighbour })).status).toBe(404)
    expect((await admin.get(`/tenants/shop/conversations/${conversation}/desk`, { key: keys.neighbour })).status).toBe(404)
  })
})
