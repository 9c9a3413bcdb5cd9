import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeTelegram, type FakeTelegram } from '../../test/fakes/telegram.js'
import { ApiError, TelegramClient, type ApiFailure } from './client.js'

/** How telegraf 4.16 surfaces each failure, as this channel classifies it: measured against the fake. */
describe('the Bot API client', () => {
  let fake: FakeTelegram
  let client: TelegramClient
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.unreachable('the call succeeded'),
      (error: unknown) => (expect(error).toBeInstanceOf(ApiError), (error as ApiError).failure),
    ) as Promise<ApiFailure>

  beforeAll(async () => {
    fake = await startFakeTelegram({ limits: false })
    client = new TelegramClient({ botToken: fake.token, apiRoot: fake.apiRoot, requestTimeoutMs: 300 })
  })
  afterAll(async () => {
    client.close()
    await fake.close()
  })

  it('keeps one connection alive across calls, and closes it when told', async () => {
    await client.call('getMe', {})
    await client.call('getWebhookInfo', {})
    expect(fake.openConnections()).toBe(1)
    const other = new TelegramClient({ botToken: fake.token, apiRoot: fake.apiRoot, requestTimeoutMs: 300 })
    await other.call('getMe', {})
    expect(fake.openConnections()).toBe(2)
    other.close()
    await fake.waitFor(() => fake.openConnections() === 1)
    await expect(other.call('getMe', {})).rejects.toMatchObject({ failure: { kind: 'unreached' } })
  })

  it('reads a refusal with its retry_after or migrate_to_chat_id', async () => {
    fake.fault({ method: 'sendMessage', status: 429, retryAfter: 7 })
    expect(await failure(client.call('sendMessage', { chat_id: 42, text: 'hi' }))).toEqual({ kind: 'refused', code: 429, description: 'Too Many Requests: retry after 7', retryAfterMs: 7000 })
    fake.migratedChats.set(-77, -1000000000077)
    expect(await failure(client.call('sendMessage', { chat_id: -77, text: 'hi' }))).toMatchObject({ kind: 'refused', code: 400, migrateTo: '-1000000000077' })
    fake.blockedChats.add(43)
    expect(await failure(client.call('sendMessage', { chat_id: 43, text: 'hi' }))).toEqual({ kind: 'refused', code: 403, description: 'Forbidden: bot was blocked by the user' })
  })

  it('treats a 5xx, a lost answer and a timeout as ambiguous: Telegram may have done it', async () => {
    fake.fault({ method: 'sendMessage', status: 502 })
    expect(await failure(client.call('sendMessage', { chat_id: 42, text: 'a' }))).toEqual({ kind: 'ambiguous', reason: '502 Bad Gateway' })
    fake.fault({ method: 'sendMessage', drop: true })
    expect(await failure(client.call('sendMessage', { chat_id: 42, text: 'b' }))).toEqual({ kind: 'ambiguous', reason: 'ECONNRESET' })
    fake.fault({ method: 'sendMessage', hang: true })
    expect(await failure(client.call('sendMessage', { chat_id: 42, text: 'c' }))).toEqual({ kind: 'ambiguous', reason: 'no answer within 300 ms' })
    expect(fake.textsTo(42)).toEqual(['b'])
  })

  it('treats a refused connection as never sent', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as { port: number }
    await new Promise((resolve) => closed.close(resolve))
    const nowhere = new TelegramClient({ botToken: fake.token, apiRoot: `http://127.0.0.1:${port}`, requestTimeoutMs: 300 })
    expect(await failure(nowhere.call('sendMessage', { chat_id: 42, text: 'x' }))).toEqual({ kind: 'unreached', reason: 'ECONNREFUSED' })
    nowhere.close()
  })

  it('never puts the bot token in an error', async () => {
    const nowhere = new TelegramClient({ botToken: fake.token, apiRoot: 'http://127.0.0.1:1', requestTimeoutMs: 300 })
    const error = await nowhere.call('getMe', {}).catch((e: Error) => e)
    expect(String(error)).not.toContain(fake.token.split(':')[1])
    nowhere.close()
  })
})
