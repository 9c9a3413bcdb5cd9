import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Telegram, TelegramError } from 'telegraf'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeTelegram, type FakeTelegram, type TgUpdate } from './telegram.js'

let fake: FakeTelegram
let telegram: Telegram

beforeEach(async () => {
  fake = await startFakeTelegram()
  telegram = new Telegram(fake.token, { apiRoot: fake.apiRoot, webhookReply: false })
})
afterEach(() => fake.close())

/** The rejection of a call that must fail. */
const failure = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (error: unknown) => error,
  )
const telegramError = async (call: Promise<unknown>) => {
  const error = await failure(call)
  expect(error).toBeInstanceOf(TelegramError)
  return error as TelegramError
}

const RESERVED = '_*[]()~`>#+-=|{}.!'
const escapeMarkdownV2 = (text: string) => text.replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, '\\$&')

/** A gateway stand-in: answers each webhook POST with `answer`, recording what arrived. */
async function startWebhookReceiver(answer: (update: TgUpdate, req: IncomingMessage, res: ServerResponse) => void | Promise<void>) {
  const received: Array<{ update: TgUpdate; secret: string | undefined }> = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const update = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TgUpdate
      received.push({ update, secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined })
      void answer(update, req, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

describe('fake Telegram Bot API through telegraf', () => {
  it('accepts a reply and hands back the Message a customer would see', async () => {
    const keyboard = { inline_keyboard: [[{ text: 'Yes', callback_data: 'csat:yes' }, { text: 'No', callback_data: 'csat:no' }]] }
    const first = await telegram.sendMessage(42, 'Hello! How can I help?')
    const second = await telegram.sendMessage(42, 'Was this helpful?', { reply_markup: keyboard })

    expect(first).toMatchObject({ message_id: 1, chat: { id: 42, type: 'private' }, text: 'Hello! How can I help?', from: { is_bot: true } })
    expect(second.message_id).toBe(2)
    expect(second.reply_markup).toEqual(keyboard)
    expect(fake.textsTo(42)).toEqual(['Hello! How can I help?', 'Was this helpful?'])
    expect(fake.sent[1]).toMatchObject({ method: 'sendMessage', chatId: 42, messageId: 2, replyMarkup: keyboard })
  })

  it('speaks the Bot API envelope to any client: query strings, any method case, wrong tokens, unknown methods', async () => {
    const viaQuery = await fetch(`${fake.apiRoot}/bot${fake.token}/SENDmessage?chat_id=7&text=hi`)
    expect(await viaQuery.json()).toMatchObject({ ok: true, result: { chat: { id: 7 }, text: 'hi' } })

    const wrongToken = await fetch(`${fake.apiRoot}/bot123:nope/getMe`)
    expect(wrongToken.status).toBe(401)
    expect(await wrongToken.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' })

    const unknown = await fetch(`${fake.apiRoot}/bot${fake.token}/sendTelepathy`, { method: 'POST' })
    expect(await unknown.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found' })
    expect(await telegram.getMe()).toMatchObject({ is_bot: true, username: 'switchboard_test_bot' })
  })

  it('refuses texts Telegram refuses, counting length in UTF-16 units after parsing', async () => {
    expect((await telegramError(telegram.sendMessage(42, 'x'.repeat(4097)))).description).toBe('Bad Request: message is too long')
    expect((await telegramError(telegram.sendMessage(42, '😀'.repeat(2049)))).response).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: message is too long',
    })
    expect((await telegramError(telegram.sendMessage(42, ''))).description).toBe('Bad Request: message text is empty')
    expect((await telegramError(telegram.sendMessage(42, ' \n '))).description).toBe('Bad Request: text must be non-empty')
    expect((await telegramError(telegram.sendMessage('', 'hi'))).description).toBe('Bad Request: chat_id is empty')
    // 4096 visible characters are fine once the markup is gone.
    await telegram.sendMessage(42, `*${'x'.repeat(4096)}*`, { parse_mode: 'MarkdownV2' })
    expect(fake.sent.map((m) => m.text.length)).toEqual([4096])
  })

  it('rejects MarkdownV2 with any of the 18 reserved characters unescaped, and accepts it escaped', async () => {
    const golden = await telegramError(telegram.sendMessage(42, RESERVED, { parse_mode: 'MarkdownV2' }))
    expect(golden.code).toBe(400)
    expect(golden.description).toMatch(/^Bad Request: can't parse entities: /)

    for (const character of RESERVED) {
      const error = await telegramError(telegram.sendMessage(42, `Order ${character} 1009`, { parse_mode: 'MarkdownV2' }))
      expect(error.description, `unescaped ${character}`).toMatch(/^Bad Request: can't parse entities: /)
    }
    const typical = await telegramError(telegram.sendMessage(42, 'Your order #A-1009 is ready.', { parse_mode: 'MarkdownV2' }))
    expect(typical.description).toBe("Bad Request: can't parse entities: Character '#' is reserved and must be escaped with the preceding '\\'")

    const escaped = await telegram.sendMessage(42, escapeMarkdownV2(RESERVED), { parse_mode: 'MarkdownV2' })
    expect(escaped.text).toBe(RESERVED)
    const formatted = await telegram.sendMessage(42, `*Order* ${escapeMarkdownV2('#A-1009')} is _ready_\\.`, { parse_mode: 'MarkdownV2' })
    expect(formatted.text).toBe('Order #A-1009 is ready.')
    expect(formatted.entities).toEqual([
      { type: 'bold', offset: 0, length: 5 },
      { type: 'italic', offset: 17, length: 5 },
    ])
  })

  it('accepts only Telegram’s HTML subset', async () => {
    const tag = await telegramError(telegram.sendMessage(42, '<b>Hi</b> <div>there</div>', { parse_mode: 'HTML' }))
    expect(tag.description).toBe(`Bad Request: can't parse entities: Unsupported start tag "div" at byte offset 10`)
    const lessThan = await telegramError(telegram.sendMessage(42, 'if a < b', { parse_mode: 'HTML' }))
    expect(lessThan.description).toBe(`Bad Request: can't parse entities: Unsupported start tag "" at byte offset 5`)
    const unclosed = await telegramError(telegram.sendMessage(42, '<b>unclosed', { parse_mode: 'HTML' }))
    expect(unclosed.description).toBe(`Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`)

    const ok = await telegram.sendMessage(42, 'AT&amp;T &lt;3 <a href="https://example.com">docs</a>', { parse_mode: 'HTML' })
    expect(ok.text).toBe('AT&T <3 docs')
    expect(ok.entities).toEqual([{ type: 'text_link', offset: 8, length: 4, url: 'https://example.com/' }])
  })

  it('checks explicit entities and inline keyboards', async () => {
    const beyond = await telegramError(telegram.sendMessage(42, 'hello', { entities: [{ type: 'bold', offset: 0, length: 100 }] }))
    expect(beyond.description).toBe('Bad Request: entity beginning at UTF-16 offset 0 ends after the end of the text at UTF-16 offset 100')
    const tooMuchData = await telegramError(telegram.sendMessage(42, 'Rate us', { reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'x'.repeat(65) }]] } }))
    expect(tooMuchData.description).toBe('Bad Request: BUTTON_DATA_INVALID')
    const blank = await telegramError(telegram.sendMessage(42, 'Rate us', { reply_markup: { inline_keyboard: [[{ text: '', callback_data: 'csat:yes' }]] } }))
    expect(blank.code).toBe(400)
    expect(fake.sent).toEqual([])
  })

  it('runs token buckets on its own clock, and can switch them off', async () => {
    let clock = 1_700_000_000_000
    const timed = await startFakeTelegram({ now: () => clock, limits: { perChat: { points: 2, seconds: 2 } } })
    const client = new Telegram(timed.token, { apiRoot: timed.apiRoot, webhookReply: false })
    try {
      await client.sendMessage(42, 'one')
      await client.sendMessage(42, 'two')
      const flood = await telegramError(client.sendMessage(42, 'three'))
      expect(flood.code).toBe(429)
      expect(flood.description).toBe('Too Many Requests: retry after 1')
      expect(flood.parameters).toEqual({ retry_after: 1 })

      clock += 1000
      await client.sendMessage(42, 'three')
      for (let i = 0; i < 20; i++) await client.sendMessage(-100, `group ${i}`)
      expect((await telegramError(client.sendMessage(-100, 'one too many'))).parameters?.retry_after).toBe(3)

      timed.setLimits(false)
      for (let i = 0; i < 5; i++) await client.sendMessage(-100, `unlimited ${i}`)
      timed.setLimits({})
      expect(timed.textsTo(42)).toEqual(['one', 'two', 'three'])
    } finally {
      await timed.close()
    }
  })

  it('injects 429 and 5xx answers the way telegraf will see them', async () => {
    fake.fault({ method: 'sendMessage', chatId: 42, status: 429, retryAfter: 7 })
    const flood = await telegramError(telegram.sendMessage(42, 'Your refund is on its way'))
    expect([flood.code, flood.description, flood.parameters?.retry_after]).toEqual([429, 'Too Many Requests: retry after 7', 7])
    await telegram.sendMessage(42, 'Your refund is on its way')

    fake.fault({ status: 500 })
    fake.fault({ status: 502 })
    // telegraf reports 5xx with the HTTP reason phrase and never reads the body.
    expect((await telegramError(telegram.sendChatAction(42, 'typing'))).description).toBe('Internal Server Error')
    expect((await telegramError(telegram.sendMessage(42, 'again'))).description).toBe('Bad Gateway')
    expect(fake.textsTo(42)).toEqual(['Your refund is on its way'])
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200, 500, 502])

    fake.fault({ method: 'sendChatAction', slow: 20 })
    expect(await telegram.sendChatAction(42, 'typing')).toBe(true)
    expect(fake.chatActions).toMatchObject([{ chatId: 42, action: 'typing' }])
    expect(fake.calls.at(-1)).toMatchObject({ fault: 'slow', status: 200 })
  })

  it('drops the response after sending: the client sees a network error, the customer sees the message', async () => {
    fake.fault({ method: 'sendMessage', drop: true })
    const error = await failure(telegram.sendMessage(42, 'Your ticket is #1009'))
    expect(error).not.toBeInstanceOf(TelegramError)
    expect(error).toMatchObject({ name: 'FetchError', code: 'ECONNRESET' })
    expect((error as Error).message).toContain('[REDACTED]')
    expect(fake.textsTo(42)).toEqual(['Your ticket is #1009'])

    // Telegram has no idempotency key: a blind retry is a duplicate.
    await telegram.sendMessage(42, 'Your ticket is #1009')
    expect(fake.textsTo(42)).toEqual(['Your ticket is #1009', 'Your ticket is #1009'])
  })

  it('holds a hung call without delivering it until released', async () => {
    fake.fault({ method: 'sendMessage', hang: true })
    const pending = failure(telegram.sendMessage(42, 'never arrives'))
    await fake.waitFor(() => fake.calls.some((c) => c.fault === 'hang'))
    expect(fake.sent).toEqual([])
    expect(fake.openConnections()).toBe(1)

    expect(fake.releaseHeld()).toBe(1)
    expect(await pending).toMatchObject({ name: 'FetchError', code: 'ECONNRESET' })
    await fake.waitFor(() => fake.openConnections() === 0)
    expect(fake.sent).toEqual([])
  })

  it('takes a multipart document upload and serves it back through getFile', async () => {
    const bytes = Buffer.from('%PDF-1.4\r\n--boundary-lookalike\r\ninvoice 1009\r\n')
    const sent = await telegram.sendDocument(42, { source: bytes, filename: 'invoice-1009.pdf' }, { caption: 'Your invoice' })
    expect(sent.document).toMatchObject({ file_name: 'invoice-1009.pdf', mime_type: 'application/pdf', file_size: bytes.length })
    expect(sent.caption).toBe('Your invoice')
    expect(fake.sent[0]).toMatchObject({ method: 'sendDocument', text: 'Your invoice' })
    expect(fake.sent[0]!.file!.data.equals(bytes)).toBe(true)

    const link = await telegram.getFileLink(sent.document.file_id)
    expect(Buffer.from(await (await fetch(link)).arrayBuffer()).equals(bytes)).toBe(true)

    // Re-sending by file_id goes as JSON and needs no upload.
    const again = await telegram.sendDocument(43, sent.document.file_id)
    expect(again.document.file_unique_id).toBe(sent.document.file_unique_id)
    expect((await telegramError(telegram.sendDocument(43, 'no-such-file-id'))).description).toBe('Bad Request: wrong file identifier/HTTP URL specified')
  })

  it('answers a long poll when an update arrives, and confirms by offset', async () => {
    const poll = telegram.getUpdates(5, 100, 0, undefined)
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'getUpdates' && c.status === null))
    fake.enqueue(fake.updates.message({ chatId: 42, text: '/start' }))

    const [update] = await poll
    expect(update).toMatchObject({ message: { chat: { id: 42 }, text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }] } })
    expect(await telegram.getUpdates(0, 100, update!.update_id + 1, undefined)).toEqual([])
    expect((await telegram.getWebhookInfo()).pending_update_count).toBe(0)
  })

  it('registers a webhook like Telegram and then refuses getUpdates', async () => {
    const badSecret = await telegramError(telegram.setWebhook('https://bot.example.com/telegram', { secret_token: 'not secret!' }))
    expect(badSecret.description).toBe('Bad Request: secret token contains unallowed characters')
    const plainHttp = await telegramError(telegram.setWebhook('http://bot.example.com/telegram'))
    expect(plainHttp.description).toBe('Bad Request: bad webhook: An HTTPS URL must be provided for webhook')

    expect(await telegram.setWebhook('https://bot.example.com/telegram', { secret_token: 'abc_DEF-123', allowed_updates: ['message', 'callback_query'] })).toBe(true)
    expect(await telegram.getWebhookInfo()).toEqual({
      url: 'https://bot.example.com/telegram',
      has_custom_certificate: false,
      pending_update_count: 0,
      max_connections: 40,
      allowed_updates: ['message', 'callback_query'],
    })
    const conflict = await telegramError(telegram.getUpdates(0, 100, 0, undefined))
    expect([conflict.code, conflict.description]).toEqual([409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"])
  })

  it('answers callback queries once and lets the bot edit its message', async () => {
    const question = await telegram.sendMessage(42, 'Was this helpful?', { reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'csat:yes' }]] } })
    const tap = fake.updates.callbackQuery({ chatId: 42, data: 'csat:yes' })
    expect(tap.callback_query.message?.message_id).toBe(question.message_id)

    expect(await telegram.answerCbQuery(tap.callback_query.id)).toBe(true)
    expect(fake.answeredCallbacks).toEqual([tap.callback_query.id])
    expect((await telegramError(telegram.answerCbQuery(tap.callback_query.id))).description).toBe(
      'Bad Request: query is too old and response timeout expired or query id is invalid',
    )

    await telegram.editMessageText(42, question.message_id, undefined, 'Thanks for the feedback!')
    expect(fake.textsTo(42)).toEqual(['Thanks for the feedback!'])
    expect(fake.sent[0]!.message.reply_markup).toBeUndefined()
    expect((await telegramError(telegram.editMessageText(42, question.message_id, undefined, 'Thanks for the feedback!'))).description).toMatch(
      /^Bad Request: message is not modified/,
    )
  })

  it('knows unknown, blocked and migrated chats', async () => {
    fake.unknownChats.add(404)
    fake.blockedChats.add(403)
    fake.updates.migration({ chatId: -555, toChatId: -1001234567890123 })

    expect((await telegramError(telegram.sendMessage(404, 'hi'))).description).toBe('Bad Request: chat not found')
    expect((await telegramError(telegram.sendMessage(403, 'hi'))).response).toEqual({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' })
    const moved = await telegramError(telegram.sendMessage(-555, 'hi group'))
    expect(moved.parameters).toEqual({ migrate_to_chat_id: -1001234567890123 })
    await telegram.sendMessage(-1001234567890123, 'hi group')
    expect(fake.sent.map((m) => m.chatId)).toEqual([-1001234567890123])
  })

  it('builds updates with increasing ids, media files, unknown types and a week-idle jump', async () => {
    const first = fake.updates.message({ chatId: 42, text: 'hi' })
    const voice = fake.updates.voice({ chatId: 42, bytes: Buffer.from('OggS voice') })
    expect(voice.update_id).toBe(first.update_id + 1)
    expect(voice.message.message_id).toBe(first.message.message_id + 1)
    const fileId = (voice.message as { voice: { file_id: string } }).voice.file_id
    const link = await telegram.getFileLink(fileId)
    expect(await (await fetch(link)).text()).toBe('OggS voice')

    const reaction = fake.updates.unknown()
    expect(Object.keys(reaction)).toEqual(['update_id', 'message_reaction'])
    expect(fake.updates.weekIdle(17)).toBe(17)
    expect(fake.updates.message({ chatId: 42, text: 'back' }).update_id).toBe(17)
  })
})

describe('fake Telegram calling the gateway webhook', () => {
  it('sends the secret header and re-sends the same update after a 500', async () => {
    let failures = 1
    const gateway = await startWebhookReceiver((update, req, res) => {
      if (req.headers['x-telegram-bot-api-secret-token'] !== 'webhook_secret-1') return void res.writeHead(403).end()
      res.writeHead(failures-- > 0 ? 500 : 200).end()
    })
    try {
      await telegram.setWebhook(gateway.url, { secret_token: 'webhook_secret-1' })
      const update = fake.updates.message({ chatId: 42, text: 'where is my order #A-1009?' })

      expect((await fake.deliver(update, { secret: 'guessed' })).status).toBe(403)
      const acked = await fake.deliverUntilAcked(update)
      expect(acked).toMatchObject({ acked: true, attempts: 2, status: 200 })
      expect(gateway.received.slice(1).map((r) => [r.update.update_id, r.secret])).toEqual([
        [update.update_id, 'webhook_secret-1'],
        [update.update_id, 'webhook_secret-1'],
      ])
      expect(await telegram.getWebhookInfo()).toMatchObject({ last_error_message: 'Wrong response from the webhook: 500 Internal Server Error', pending_update_count: 0 })
    } finally {
      await gateway.close()
    }
  })

  it('delivers one chat in order and different chats concurrently', async () => {
    const arrived: string[] = []
    let chatBArrived: () => void = () => {}
    const chatBSeen = new Promise<string>((resolve) => (chatBArrived = () => resolve('b1 arrived while a1 was open')))
    let whileA1Open = ''
    const gateway = await startWebhookReceiver(async (update, _req, res) => {
      const text = (update.message as { text: string }).text
      arrived.push(text)
      if (text === 'b1') chatBArrived()
      // Chat A's first update stays unanswered until chat B gets through. The fallback only keeps
      // a broken fake from hanging the suite; the assertion below then fails.
      if (text === 'a1') whileA1Open = await Promise.race([chatBSeen, new Promise<string>((resolve) => setTimeout(() => resolve('b1 never came'), 1000))])
      res.writeHead(200).end()
    })
    try {
      const updates = [
        fake.updates.message({ chatId: 1, text: 'a1' }),
        fake.updates.message({ chatId: 1, text: 'a2' }),
        fake.updates.message({ chatId: 2, text: 'b1' }),
      ]
      const results = await fake.deliverAll(updates, { url: gateway.url })
      expect(results.map((r) => r.acked)).toEqual([true, true, true])
      expect(whileA1Open).toBe('b1 arrived while a1 was open')
      expect(arrived).toEqual(['a1', 'b1', 'a2'])
    } finally {
      await gateway.close()
    }
  })

  it('performs a method the gateway answers with inside the webhook response', async () => {
    const gateway = await startWebhookReceiver((update, _req, res) => {
      const chatId = (update.message as { chat: { id: number } }).chat.id
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: 'sendMessage', chat_id: chatId, text: 'pong' }))
    })
    try {
      await fake.deliver(fake.updates.message({ chatId: 42, text: 'ping' }), { url: gateway.url })
      expect(fake.textsTo(42)).toEqual(['pong'])
      expect(fake.calls.at(-1)).toMatchObject({ method: 'sendMessage', via: 'webhook-reply', status: 200 })
    } finally {
      await gateway.close()
    }
  })
})
