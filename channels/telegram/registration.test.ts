import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeTelegram, type FakeTelegram } from '../../test/fakes/telegram.js'
import { TelegramClient } from './client.js'
import { botKey, holdWebhook } from './registration.js'

/** Two instances of one bot in one process, as a reload runs them: the new one starts before the old one stops. */
describe('who owns a bot’s webhook', () => {
  let fake: FakeTelegram
  let client: TelegramClient
  const log = pino({ level: 'silent' })

  beforeAll(async () => {
    fake = await startFakeTelegram({ limits: false })
    client = new TelegramClient({ botToken: fake.token, apiRoot: fake.apiRoot, requestTimeoutMs: 2000 })
  })
  afterAll(async () => {
    client.close()
    await fake.close()
  })

  const instance = (url: string, closing = false) => {
    const stop = new AbortController()
    const release = holdWebhook({ client, key: botKey(fake.token), url, secret: url.split('/').pop()!, allowedUpdates: ['message'], maxConnections: 40, log, signal: stop.signal, closing: () => closing })
    return async () => {
      stop.abort()
      await release()
    }
  }

  it('lets a reload’s new instance keep the webhook it registered, and deletes it when the last one stops', async () => {
    const old = instance('http://127.0.0.1:1/t/a/tg/old')
    await fake.waitFor(() => fake.webhook.url.endsWith('/old'))
    const replacement = instance('http://127.0.0.1:1/t/a/tg/new')
    await fake.waitFor(() => fake.webhook.url.endsWith('/new'))
    await old()
    expect(fake.callsTo('deleteWebhook')).toEqual([])
    expect(fake.webhook.url).toMatch(/\/new$/)
    await replacement()
    expect(fake.callsTo('deleteWebhook')).toHaveLength(1)
    expect(fake.webhook.url).toBe('')
  })

  it('gives the webhook back to the running instance when a new one fails to start', async () => {
    const running = instance('http://127.0.0.1:1/t/a/tg/running')
    await fake.waitFor(() => fake.webhook.url.endsWith('/running'))
    const failed = instance('http://127.0.0.1:1/t/a/tg/failed')
    await fake.waitFor(() => fake.webhook.url.endsWith('/failed'))
    await failed()
    await fake.waitFor(() => fake.webhook.url.endsWith('/running'))
    expect(fake.callsTo('deleteWebhook')).toHaveLength(1)
    await running()
  })

  it('keeps the webhook when the whole gateway shuts down', async () => {
    const before = fake.callsTo('deleteWebhook').length
    const stopping = instance('http://127.0.0.1:1/t/a/tg/shutdown', true)
    await fake.waitFor(() => fake.webhook.url.endsWith('/shutdown'))
    await stopping()
    expect(fake.callsTo('deleteWebhook')).toHaveLength(before)
    expect(fake.webhook.url).toMatch(/\/shutdown$/)
  })

  it('keeps trying in the background when Telegram says 429, waiting its retry_after', async () => {
    fake.fault({ method: 'setWebhook', status: 429, retryAfter: 1 })
    const flooded = instance('http://127.0.0.1:1/t/a/tg/flooded')
    await fake.waitFor(() => fake.webhook.url.endsWith('/flooded'), 5000)
    const [refused, accepted] = fake.callsTo('setWebhook').slice(-2)
    expect(refused!.status).toBe(429)
    expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(1000 - 50)
    await flooded()
  })
})
