import { writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deriveWebhookSecret } from '../../channels/telegram/secret.js'
import { Tokens } from '../../core/di/tokens.js'
import { metricValue, waitUntil } from '../contract/wait.js'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js'
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { quotingModel, tempConfig } from '../kit/tenants.js'

// Three bots, each its own fake Telegram: "shop" takes webhooks (with Telegram's flood limits
// on), "dev" long-polls on a laptop and thinks slowly (an LLM agent), "pop" is added, rotated and
// removed while the gateway runs.
let shop: FakeTelegram
let dev: FakeTelegram
let pop: FakeTelegram
let llm: FakeOpenAI
let gw: TestGateway
let config: Awaited<ReturnType<typeof tempConfig>>

const RETURN_VALUE = `return:order=A-1009;reason=${'the charger arrived broken and the box was open '.repeat(2)}`.trim()

const telegram = (fake: FakeTelegram, extra: Record<string, unknown> = {}) => ({ id: 'tg', type: 'telegram', config: { botToken: fake.token, apiRoot: fake.apiRoot, ...extra } })
const echo = (except?: string) => ({ id: 'echo', pattern: except ? `^(?!${except})([\\s\\S]*)$` : '^([\\s\\S]*)$', reply: 'echo: $1' })

const shopTenant = () =>
  stringify({
    id: 'shop',
    channels: [telegram(shop, { publicUrl: gw.url })],
    plugins: [
      {
        id: 'rules',
        type: 'rules',
        config: {
          rules: [
            { id: 'menu', pattern: '^menu$', reply: { text: 'How can we help?', options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: RETURN_VALUE }] } },
            echo(),
          ],
        },
      },
    ],
  })

const devTenant = () =>
  stringify({
    id: 'dev',
    channels: [telegram(dev, { mode: 'polling', pollTimeoutSeconds: 5, typingIntervalMs: 100 })],
    plugins: [
      // Quick echoes, except price questions: those go to the LLM agent, which takes its time.
      { id: 'rules', type: 'rules', config: { answerFallback: false, rules: [echo('How much')] } },
      { id: 'llm', type: 'llm', config: { baseURL: llm.url, apiKey: '${env:FAKE_OPENAI_KEY}', model: 'gpt-4o-mini' } },
      { id: 'intent', type: 'intent' },
      { id: 'kb', type: 'knowledge', config: { folder: 'knowledge/demo' } },
      { id: 'agent', type: 'agent', config: { provider: 'openai' } },
    ],
  })

const popTenant = (telegramConfig: Record<string, unknown> = {}) =>
  stringify({ id: 'pop', limits: { messagesPerMinute: 2 }, channels: [telegram(pop, { publicUrl: gw.url, ...telegramConfig })], plugins: [{ id: 'rules', type: 'rules', config: { rules: [echo()] } }] })

beforeAll(async () => {
  shop = await startFakeTelegram()
  dev = await startFakeTelegram({ limits: false })
  pop = await startFakeTelegram({ limits: false })
  llm = await startFakeOpenAI({
    responder: async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 800))
      return quotingModel(request)
    },
  })
  config = await tempConfig({ dev: devTenant() }, { demoKnowledge: true })
  await writeFile(join(config.dir, 'gateway.yaml'), 'turns: { typingDelayMs: 50 }\n')
  gw = await startTestGateway({ configDir: config.dir, env: { FAKE_OPENAI_KEY: llm.apiKey } })
  // A webhook URL is the gateway's, known once it listens.
  await config.write('shop', shopTenant())
  await gw.gateway.tenants.reload('shop')
  await shop.waitFor(() => shop.webhook.url, 10_000)
}, 60_000)

afterAll(async () => {
  await gw?.close()
  for (const fake of [shop, dev, pop]) await fake?.close()
  await llm?.close()
  await config?.remove()
})

let nextChat = 7_000_001
const newCustomer = () => nextChat++
const metrics = async () => (await fetch(`${gw.url}/metrics`)).text()
const outbox = (tenant: string) =>
  gw.gateway.container
    .resolve(Tokens.Database)
    .tenant(tenant)
    .query<{ status: string; text: string; last_error: string | null }>(
      `SELECT o.status, m.text, o.last_error FROM outbox o JOIN messages m ON m.id = o.id WHERE o.tenant_id = $1 ORDER BY o.created_at`,
      [tenant],
    )
/** Waits until `chat` has seen `count` messages from the bot, and returns them all. */
const repliesTo = (fake: FakeTelegram, chat: number, count = 1) => fake.waitFor(() => fake.textsTo(chat).length >= count && fake.textsTo(chat), 15_000)
const webhookPath = '/t/shop/tg/webhook'

describe('a Telegram bot on the gateway, by webhook', () => {
  it('registers its webhook on start, with a secret derived from the token', () => {
    expect(shop.webhook).toMatchObject({ url: `${gw.url}${webhookPath}`, secret: deriveWebhookSecret(shop.token, 'shop', 'tg'), maxConnections: 40 })
    expect(shop.callsTo('setWebhook')[0]!.params).toMatchObject({ allowed_updates: ['message', 'edited_message', 'callback_query'] })
  })

  it('answers a customer’s message', async () => {
    const ana = newCustomer()
    const delivery = await shop.deliver(shop.updates.message({ chatId: ana, text: 'where is my order #A-1009?' }))
    expect(delivery.status).toBe(200)
    expect(await repliesTo(shop, ana)).toEqual(['echo: where is my order #A-1009?'])
  })

  it('answers a button press at once and passes its data to the bot', async () => {
    const ben = newCustomer()
    const press = shop.updates.callbackQuery({ chatId: ben, data: 'csat:yes' })
    expect((await shop.deliver(press)).status).toBe(200)
    await shop.waitFor(() => shop.answeredCallbacks.includes(press.callback_query.id))
    expect(await repliesTo(shop, ben)).toEqual(['echo: csat:yes'])
  })

  it('passes a button press on even when answering it fails', async () => {
    const bo = newCustomer()
    shop.fault({ method: 'answerCallbackQuery', status: 502 })
    const press = shop.updates.callbackQuery({ chatId: bo, data: 'csat:no' })
    expect((await shop.deliver(press)).status).toBe(200)
    expect(await repliesTo(shop, bo)).toEqual(['echo: csat:no'])
    expect(shop.callsTo('answerCallbackQuery').find((c) => c.params.callback_query_id === press.callback_query.id)!.status).toBe(502)
  })

  it('follows a group that became a supergroup, and remembers where it went', async () => {
    const [group, supergroup] = [-4_000_000_001, -1_000_040_000_001]
    shop.migratedChats.set(group, supergroup)
    await shop.deliver(shop.updates.message({ chatId: group, text: 'anyone from support here?' }))
    expect(await repliesTo(shop, supergroup)).toEqual(['echo: anyone from support here?'])
    const conversations = await gw.gateway.container.resolve(Tokens.Conversations).list('shop', { limit: 100 })
    expect(conversations.find((c) => c.externalId === String(group))!.reference).toEqual({ chatId: String(supergroup), chatType: 'supergroup' })
  })

  it('shows a choice as an inline keyboard, and a press brings back the option’s value, however long', async () => {
    const cleo = newCustomer()
    await shop.deliver(shop.updates.message({ chatId: cleo, text: 'menu' }))
    await repliesTo(shop, cleo)
    const menu = shop.sent.find((m) => m.chatId === cleo)!
    const buttons = (menu.replyMarkup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard.flat()
    expect(buttons.map((b) => b.text)).toEqual(['Track my order', 'Return an item'])
    expect(buttons[0]!.callback_data).toBe('track')
    expect(Buffer.byteLength(buttons[1]!.callback_data)).toBeLessThanOrEqual(64)
    await shop.deliver(shop.updates.callbackQuery({ chatId: cleo, data: buttons[1]!.callback_data, messageId: menu.messageId }))
    expect(await repliesTo(shop, cleo, 2)).toEqual(['How can we help?', `echo: ${RETURN_VALUE}`])
  })

  it('holds a burst to one chat to about one message a second: Telegram never has to say 429', async () => {
    const dora = newCustomer()
    const burst = ['one', 'two', 'three', 'four', 'five'].map((text) => shop.updates.message({ chatId: dora, text }))
    const acks = await shop.deliverAll(burst)
    expect(acks.every((a) => a.acked)).toBe(true)
    expect(await repliesTo(shop, dora, 5)).toEqual(['echo: one', 'echo: two', 'echo: three', 'echo: four', 'echo: five'])
    expect(shop.callsTo('sendMessage').filter((c) => c.status === 429)).toEqual([])
    expect(metricValue(await metrics(), 'switchboard_channel_throttled_total', { tenant: 'shop', source: 'governor' })).toBeGreaterThan(0)
  })

  it('waits out a long retry_after for one chat without holding up the others', async () => {
    const [eli, fay] = [newCustomer(), newCustomer()]
    shop.fault({ method: 'sendMessage', chatId: eli, status: 429, retryAfter: 3600 })
    await shop.deliver(shop.updates.message({ chatId: eli, text: 'are you there?' }))
    await shop.waitFor(() => shop.callsTo('sendMessage').some((c) => c.params.chat_id === eli && c.status === 429))
    await shop.deliver(shop.updates.message({ chatId: fay, text: 'hello' }))
    expect(await repliesTo(shop, fay)).toEqual(['echo: hello'])
    expect(shop.textsTo(eli)).toEqual([])
    const waiting = (await outbox('shop')).find((o) => o.text === 'echo: are you there?')
    expect(waiting).toMatchObject({ status: 'pending', last_error: '429 Too Many Requests: retry after 3600' })
    expect(metricValue(await metrics(), 'switchboard_channel_throttled_total', { tenant: 'shop', source: 'platform' })).toBe(1)
  })

  it('never re-posts a reply Telegram may have got: a lost response leaves it unknown, sent once', async () => {
    const gus = newCustomer()
    shop.fault({ method: 'sendMessage', chatId: gus, drop: true })
    await shop.deliver(shop.updates.message({ chatId: gus, text: 'refund please' }))
    await waitUntil(async () => (await outbox('shop')).find((o) => o.text === 'echo: refund please' && o.status === 'unknown'), 'the dropped reply to be marked unknown')
    await shop.deliver(shop.updates.message({ chatId: gus, text: 'thanks' }))
    // Telegram performed the dropped send; the gateway sent nothing twice.
    expect(await repliesTo(shop, gus, 2)).toEqual(['echo: refund please', 'echo: thanks'])
    expect(shop.callsTo('sendMessage').filter((c) => c.params.chat_id === gus)).toHaveLength(2)
  })
})

describe('a Telegram bot on a laptop, by long polling', () => {
  it('deletes any webhook, polls getUpdates, and confirms each batch by advancing the offset', async () => {
    const hal = newCustomer()
    const first = dev.updates.message({ chatId: hal, text: 'hi from my laptop' })
    dev.enqueue(first)
    expect(await repliesTo(dev, hal)).toEqual(['echo: hi from my laptop'])
    const second = dev.updates.message({ chatId: hal, text: 'still there?' })
    dev.enqueue(second)
    expect(await repliesTo(dev, hal, 2)).toEqual(['echo: hi from my laptop', 'echo: still there?'])
    expect(dev.webhook.url).toBe('')
    expect(dev.calls[0]!.method).toBe('deleteWebhook')
    const offsets = dev.callsTo('getUpdates').map((c) => c.params.offset)
    expect(offsets).toContain(first.update_id + 1)
    expect(offsets).toContain(second.update_id + 1)
    expect(dev.callsTo('getUpdates').every((c) => c.params.timeout === 5)).toBe(true)
  })

  it('keeps showing “typing…” while a slow answer is being written', async () => {
    const ivy = newCustomer()
    dev.enqueue(dev.updates.message({ chatId: ivy, text: 'How much is the Pro plan per month?' }))
    const [answer] = await repliesTo(dev, ivy)
    expect(answer).toMatch(/\[1\]$/)
    const typing = dev.chatActions.filter((a) => a.chatId === ivy)
    expect(typing.length).toBeGreaterThanOrEqual(3)
    expect(typing.every((a) => a.action === 'typing')).toBe(true)
    // Refreshes stop with the answer: by the time another customer is answered, none came for this chat.
    const shown = typing.length
    const jay = newCustomer()
    dev.enqueue(dev.updates.message({ chatId: jay, text: 'quick one' }))
    await repliesTo(dev, jay)
    expect(dev.chatActions.filter((a) => a.chatId === ivy).length).toBeLessThanOrEqual(shown + 1)
  })
})

/** One raw HTTP request, as a misbehaving client would send it; resolves with the answer. */
function post(path: string, body: string | Buffer, headers: Record<string, string>, options: { method?: string; chunks?: number; holdAfter?: Promise<unknown> } = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { method: options.method ?? 'POST', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    // Writing into a connection the server closed after answering is expected; only a missing answer fails.
    req.on('error', (error) => setTimeout(() => reject(error), 200))
    const data = Buffer.from(body)
    const chunks = options.chunks ?? 1
    const size = Math.ceil(data.length / chunks) || 1
    void (async () => {
      for (let at = 0; at < data.length; at += size) {
        req.write(data.subarray(at, at + size))
        if (at === 0 && options.holdAfter) await options.holdAfter
      }
      req.end()
    })()
  })
}

describe('what the webhook refuses, and what it survives', () => {
  const json = { 'content-type': 'application/json' }
  const secret = () => ({ ...json, 'x-telegram-bot-api-secret-token': shop.webhook.secret! })
  const update = (chatId: number, text: string) => JSON.stringify(shop.updates.message({ chatId, text }))

  it('refuses a missing, forged or case-changed secret before reading anything, and counts it', async () => {
    const before = metricValue(await metrics(), 'switchboard_channel_requests_rejected_total', { tenant: 'shop', action: 'channel.secret_invalid' })
    const jo = newCustomer()
    const real = shop.webhook.secret!
    const swapped = real.replace(/[a-z]/, (c) => c.toUpperCase()) === real ? real.replace(/[A-Z]/, (c) => c.toLowerCase()) : real.replace(/[a-z]/, (c) => c.toUpperCase())
    for (const headers of [json, { ...json, 'x-telegram-bot-api-secret-token': 'forged' }, { ...json, 'x-telegram-bot-api-secret-token': swapped }]) {
      const answer = await post(webhookPath, update(jo, 'let me in'), headers)
      expect(answer.status).toBe(403)
      expect(answer.body).not.toContain('let me in')
    }
    expect(metricValue(await metrics(), 'switchboard_channel_requests_rejected_total', { tenant: 'shop', action: 'channel.secret_invalid' }) - before).toBe(3)
    // A forged delivery of a real-looking update reaches nobody.
    expect(shop.textsTo(jo)).toEqual([])
  })

  it('answers malformed JSON, absurd nesting and ids beyond 2^53 with 400', async () => {
    const chat = newCustomer()
    const bodies = [
      '{"update_id": 1, "message": {',
      '{"update_id": 1} trailing',
      '{"update_id": NaN}',
      `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
      '{"update_id": 1152921504606846976}',
      `{"update_id": 5, "message": {"message_id": 1, "date": 1, "chat": {"id": 1152921504606846977, "type": "private"}, "text": "hi"}}`,
      '[]',
      '',
    ]
    for (const body of bodies) expect((await post(webhookPath, body, secret())).status, body.slice(0, 40)).toBe(400)
    // The webhook still works for the next customer.
    expect((await post(webhookPath, update(chat, 'still fine?'), secret())).status).toBe(200)
    expect(await repliesTo(shop, chat)).toEqual(['echo: still fine?'])
  })

  it('refuses oversize bodies with 413, whether or not they say their length', async () => {
    const huge = `{"update_id": 9, "padding": "${'x'.repeat(1_100_000)}"}`
    expect((await post(webhookPath, huge, { ...secret(), 'content-length': String(Buffer.byteLength(huge)) })).status).toBe(413)
    expect((await post(webhookPath, huge, { ...secret(), 'transfer-encoding': 'chunked' }, { chunks: 20 })).status).toBe(413)
  })

  it('refuses other content types with 415, and has nothing to GET', async () => {
    expect((await post(webhookPath, update(newCustomer(), 'plain'), { ...secret(), 'content-type': 'text/plain' })).status).toBe(415)
    expect((await fetch(`${gw.url}${webhookPath}`)).status).toBe(404)
    expect((await fetch(`${gw.url}${webhookPath}`, { method: 'HEAD' })).status).toBe(404)
  })

  it('acknowledges update types it does not handle without starting a turn', async () => {
    const accepted = () => metrics().then((m) => metricValue(m, 'switchboard_messages_total', { tenant: 'shop', direction: 'in' }))
    const before = await accepted()
    const kay = newCustomer()
    for (const unknown of [shop.updates.unknown({ chatId: kay }), shop.updates.unknown({ type: 'business_connection', chatId: kay })]) expect((await shop.deliver(unknown)).status).toBe(200)
    expect(await accepted()).toBe(before)
  })

  it('stores every kind of Unicode a customer can type, and answers it', async () => {
    const lee = newCustomer()
    const text = 'Family 👩‍👩‍👧‍👦, \u202Egnp.exe\u202C, שלום, e\u0301 vs é, 全角'
    expect((await shop.deliver(shop.updates.message({ chatId: lee, text }))).status).toBe(200)
    expect(await repliesTo(shop, lee)).toEqual([`echo: ${text}`])
    // NUL and a lone surrogate are legal JSON but not storable text: they become U+FFFD, not a crash or a retry loop.
    const raw = update(lee, 'PLACEHOLDER').replace('PLACEHOLDER', 'nul \\u0000 and lone \\ud800 end')
    expect((await post(webhookPath, raw, secret())).status).toBe(200)
    expect(await repliesTo(shop, lee, 2)).toEqual([`echo: ${text}`, 'echo: nul \uFFFD and lone \uFFFD end'])
  })

  it('serves others while a slow client trickles its body, then answers it too', async () => {
    const [max, ned] = [newCustomer(), newCustomer()]
    let othersServed!: () => void
    const served = new Promise((resolve) => (othersServed = () => resolve(undefined)))
    const slow = post(webhookPath, update(max, 'sorry, slow network'), { ...secret() }, { chunks: 2, holdAfter: served })
    await shop.deliver(shop.updates.message({ chatId: ned, text: 'fast one' }))
    expect(await repliesTo(shop, ned)).toEqual(['echo: fast one'])
    othersServed()
    expect((await slow).status).toBe(200)
    expect(await repliesTo(shop, max)).toEqual(['echo: sorry, slow network'])
  })
})

describe('a bot added, rotated and removed while the gateway runs', () => {
  it('registers on start, keeps the webhook through a reload, accepts the old secret meanwhile, and deletes it on removal', async () => {
    // Flood-limited at start: the tenant starts anyway, and the webhook is registered after the wait.
    pop.fault({ method: 'setWebhook', status: 429, retryAfter: 1 })
    await config.write('pop', popTenant({ webhookSecret: 'first-secret' }))
    expect((await gw.gateway.tenants.reload('pop')).outcome).toBe('started')
    await pop.waitFor(() => pop.webhook.secret === 'first-secret', 10_000)
    expect(pop.callsTo('setWebhook').map((c) => c.status)).toEqual([429, 200])

    // Rotation: the new instance starts (and registers) before the old one stops; nothing deletes the webhook.
    await config.write('pop', popTenant({ webhookSecret: 'second-secret', previousSecrets: ['first-secret'] }))
    await gw.gateway.tenants.reload('pop')
    await pop.waitFor(() => pop.webhook.secret === 'second-secret', 10_000)
    expect(pop.callsTo('deleteWebhook')).toEqual([])
    const olive = newCustomer()
    expect((await pop.deliver(pop.updates.message({ chatId: olive, text: 'sent before the rotation' }), { secret: 'first-secret' })).status).toBe(200)
    expect((await pop.deliver(pop.updates.message({ chatId: olive, text: 'sent after it' }))).status).toBe(200)
    expect(await repliesTo(pop, olive, 2)).toEqual(['echo: sent before the rotation', 'echo: sent after it'])

    // Over the tenant's message budget: refused with 429 and a hint, stored nowhere, so Telegram delivers it again later.
    const refused = await pop.deliver(pop.updates.message({ chatId: olive, text: 'one too many' }))
    expect(refused.status).toBe(429)
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'SB_ERR_RATE_LIMITED' } })
    const stored = await gw.gateway.container.resolve(Tokens.Database).tenant('pop').query(`SELECT 1 FROM inbox WHERE tenant_id = 'pop'`)
    expect(stored).toHaveLength(2)

    await gw.gateway.tenants.remove('pop')
    expect(pop.callsTo('deleteWebhook')).toHaveLength(1)
    expect(pop.webhook.url).toBe('')
  })
})

describe('shutting the gateway down', () => {
  it('leaves the webhook registered for the replicas and the restart that keep serving it', async () => {
    await gw.close()
    expect(shop.callsTo('deleteWebhook')).toEqual([])
    expect(shop.webhook.url).toBe(`${gw.url}${webhookPath}`)
  })
})
