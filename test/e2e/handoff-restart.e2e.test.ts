import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeyStore } from '../../core/admin/auth/api-keys.js'
import { Tokens } from '../../core/di/tokens.js'
import { waitUntil } from '../contract/wait.js'
import { freshPostgres, type TestDatabase } from '../databases.js'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.js'
import { AdminClient } from '../harness/admin-client.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { tempConfig, webchatTenant } from '../kit/tenants.js'

// The desk's state lives in the database: a gateway restart in the middle of a conversation with
// a person changes nothing for the customer or the agent. VIP levels come from the tenant's rules.
const GOLD = 8_200_101
const PLATINUM = 8_200_102

const engines = [
  ['PGlite', async () => undefined],
  ['PostgreSQL', freshPostgres],
] as const

describe.each(engines)('the support desk across a gateway restart, on %s', (_name, openDatabase) => {
  let tg: FakeTelegram
  let gw: TestGateway
  let database: TestDatabase | undefined
  let config: Awaited<ReturnType<typeof tempConfig>>
  let admin: AdminClient
  let ana: string

  beforeAll(async () => {
    tg = await startFakeTelegram({ limits: false })
    database = await openDatabase()
    // A gateway needs a tenant to start; the shop arrives once the gateway's URL (its webhook) is known.
    config = await tempConfig({ neighbour: webchatTenant({ id: 'neighbour' }) })
    await writeFile(join(config.dir, 'gateway.yaml'), 'admin:\n  enabled: true\n')
    gw = await startTestGateway({ configDir: config.dir, ...(database?.url ? { databaseUrl: database.url } : {}) })
    await config.write(
      'shop',
      stringify({
        id: 'shop',
        channels: [{ id: 'tg', type: 'telegram', config: { botToken: tg.token, apiRoot: tg.apiRoot, publicUrl: gw.url } }],
        plugins: [
          { id: 'customers', type: 'customers', config: { vip: { rules: [{ level: 1, when: { userIds: [String(GOLD)] } }, { level: 2, when: { userIds: [String(PLATINUM)] } }] } } },
          { id: 'handoff', type: 'handoff' },
          { id: 'intent', type: 'intent' },
          { id: 'agent', type: 'agent' },
        ],
      }),
    )
    await gw.gateway.tenants.reload('shop')
    await tg.waitFor(() => tg.webhook.url, 10_000)
    admin = new AdminClient(gw.url)
    ana = (await gw.gateway.container.resolve(ApiKeyStore).create('shop', { name: 'Ana', role: 'agent', createdBy: 'test' })).key
  }, 60_000)

  afterAll(async () => {
    await gw?.close()
    await tg?.close()
    await database?.drop()
    await config?.remove()
  })

  const db = () => gw.gateway.container.resolve(Tokens.Database).tenant('shop')
  const write = async (chat: number, text: string) => expect((await tg.deliver(tg.updates.message({ chatId: chat, text }))).status).toBe(200)
  const textsTo = (chat: number, count: number) => tg.waitFor(() => tg.textsTo(chat).length >= count && tg.textsTo(chat), 15_000)
  const repliesTo = async (chat: number, text: string) => {
    const turn = await waitUntil(
      async () =>
        (await db().query<{ turn_id: string }>(`SELECT m.turn_id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_id = $1 AND m.direction = 'in' AND m.text = $2`, [String(chat), text]))[0]?.turn_id,
      `"${text}" to be answered`,
    )
    return (await db().query<{ text: string }>(`SELECT text FROM messages WHERE turn_id = $1 AND direction = 'out'`, [turn])).map((m) => m.text)
  }

  it('keeps a conversation with its agent through a restart: the bot stays silent and the agent still talks', async () => {
    const chat = 8_200_001
    await write(chat, 'I want to talk to a human')
    await textsTo(chat, 1)
    const taken = await admin.post('/tenants/shop/handoffs/take', { key: ana, body: {} })
    const handoffId = taken.body.handoff.id as string
    await admin.post(`/tenants/shop/handoffs/${handoffId}/reply`, { key: ana, body: { text: 'Ana here, one moment.' } })
    await textsTo(chat, 3)

    await gw.restart()

    await write(chat, 'are you still there?')
    expect(await repliesTo(chat, 'are you still there?')).toEqual([])
    const [live] = (await admin.get('/tenants/shop/handoffs?state=agent_active', { key: ana })).body.handoffs
    expect(live).toMatchObject({ id: handoffId, state: 'agent_active', lastCustomerAt: expect.any(String) })
    expect((await admin.post(`/tenants/shop/handoffs/${handoffId}/reply`, { key: ana, body: { text: 'Yes, still here.' } })).status).toBe(201)
    expect((await textsTo(chat, 4))[3]).toBe('Yes, still here.')
    await admin.post(`/tenants/shop/handoffs/${handoffId}/resolve`, { key: ana, body: {} })
  })

  it('serves the higher VIP level first, though the lower one waited longer', async () => {
    await write(GOLD, 'I want to talk to a human')
    await textsTo(GOLD, 1)
    await write(PLATINUM, 'I want to talk to a human')
    expect((await textsTo(PLATINUM, 1))[0]).toContain('You’re next in line')
    const queue = (await admin.get('/tenants/shop/handoffs/queue', { key: ana })).body.queue
    expect(queue.map((q: { vipLevel: number; position: number }) => [q.vipLevel, q.position])).toEqual([
      [2, 1],
      [1, 2],
    ])
    const first = await admin.post('/tenants/shop/handoffs/take', { key: ana, body: {} })
    const second = await admin.post('/tenants/shop/handoffs/take', { key: ana, body: {} })
    expect([first.body.handoff.vipLevel, second.body.handoff.vipLevel]).toEqual([2, 1])
  })
})
