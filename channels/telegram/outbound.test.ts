import pino from 'pino'
import { TelegramError } from 'telegraf'
import { describe, expect, it } from 'vitest'
import type { ConversationLink, ConversationLinks, OutboundDelivery, Part, RateGovernor } from '../../core/index.js'
import { parseHtml } from '../../test/fakes/telegram-format.js'
import { callbackData, parseCallbackData, valueIn } from './callback-data.js'
import { ApiError, classify, type TelegramClient } from './client.js'
import { chatOf, escapeHtml, outcomeOf, planSends, Sender } from './outbound.js'

const MARKDOWN_V2_SPECIALS = '_*[]()~`>#+-=|{}.!'

describe('rendering replies for Telegram', () => {
  it('escapes exactly <, > and & for HTML; of the 18 MarkdownV2 specials only > changes', () => {
    const text = `<b>5 > 3 & 2 < 4</b> &amp; ${MARKDOWN_V2_SPECIALS} \\ "quotes" 'apostrophes' 👍`
    expect(escapeHtml(text)).toBe(`&lt;b&gt;5 &gt; 3 &amp; 2 &lt; 4&lt;/b&gt; &amp;amp; _*[]()~\`&gt;#+-=|{}.! \\ "quotes" 'apostrophes' 👍`)
    // Telegram's HTML parser (tdlib's rules, in the fake) shows the user exactly what the bot wrote.
    expect(parseHtml(escapeHtml(text))).toEqual({ text, entities: [] })
  })

  it('sends text as HTML, never as MarkdownV2, and skips blank text Telegram would refuse', () => {
    expect(planSends([{ type: 'text', text: 'Total: 5.00 - 1.50 = 3.50!' }, { type: 'text', text: ' \n ' }], 1, 4096)).toEqual([{ method: 'sendMessage', html: 'Total: 5.00 - 1.50 = 3.50!' }])
  })

  it('turns a choice into an inline keyboard whose buttons carry the option values', () => {
    const choice: Part = { type: 'choice', text: 'Was this helpful?', options: [{ title: 'Yes 👍', value: 'csat:yes' }, { title: 'No', value: 'csat:no' }] }
    expect(planSends([choice], 4, 4096)).toEqual([
      { method: 'sendMessage', html: 'Was this helpful?', keyboard: [[{ text: 'Yes 👍', callback_data: 'csat:yes' }], [{ text: 'No', callback_data: 'csat:no' }]] },
    ])
  })

  it('renders a card as a bold title, its body and buttons: postbacks as callbacks, links as URL buttons', () => {
    const card: Part = {
      type: 'card',
      title: 'Order <A-1009>',
      body: 'Shipped & on its way',
      actions: [
        { type: 'postback', title: 'Track', value: 'track:A-1009' },
        { type: 'url', title: 'Invoice', value: 'https://shop.example.com/i/A-1009' },
      ],
    }
    expect(planSends([card], 2, 4096)).toEqual([
      {
        method: 'sendMessage',
        html: '<b>Order &lt;A-1009&gt;</b>\nShipped &amp; on its way',
        keyboard: [[{ text: 'Track', callback_data: 'track:A-1009' }], [{ text: 'Invoice', url: 'https://shop.example.com/i/A-1009' }]],
      },
    ])
    const [send] = planSends([card], 2, 4096)
    expect(send?.method === 'sendMessage' && parseHtml(send.html)).toEqual({ text: 'Order <A-1009>\nShipped & on its way', entities: [{ type: 'bold', offset: 0, length: 14 }] })
  })

  it('shows a card link Telegram would refuse as a button (mailto:, a relative path) as text instead', () => {
    const card: Part = { type: 'card', title: 'Contact', actions: [{ type: 'url', title: 'Mail us', value: 'mailto:help@shop.example.com' }, { type: 'url', title: 'Site', value: 'https://shop.example.com' }] }
    expect(planSends([card], 1, 4096)).toEqual([
      { method: 'sendMessage', html: '<b>Contact</b>\nMail us: mailto:help@shop.example.com', keyboard: [[{ text: 'Site', url: 'https://shop.example.com' }]] },
    ])
  })

  it('splits an overlong prompt before escaping and hangs the keyboard on its last message', () => {
    const prompt = `${'a<b '.repeat(30)}\n\n${'c&d '.repeat(30)}`
    const sends = planSends([{ type: 'choice', text: prompt, options: [{ title: 'OK', value: 'ok' }] }], 1, 130)
    expect(sends).toHaveLength(2)
    expect(sends.map((s) => (s.method === 'sendMessage' ? s.keyboard : 'media'))).toEqual([undefined, [[{ text: 'OK', callback_data: 'ok' }]]])
    for (const send of sends) if (send.method === 'sendMessage') expect(parseHtml(send.html).text.length).toBeLessThanOrEqual(130)
  })

  it('sends media by URL or by Telegram file id, and anything else as text', () => {
    const parts: Part[] = [
      { type: 'image', url: 'https://cdn.example.com/map.png' },
      { type: 'file', url: 'tg-file:BQACAgIAAxkB', name: 'invoice.pdf' },
      { type: 'audio', url: 'https://cdn.example.com/hello.ogg' },
      { type: 'video', url: 'https://cdn.example.com/howto.mp4' },
      { type: 'file', url: 'ftp://files.example.com/a.zip', name: 'a.zip' },
    ]
    expect(planSends(parts, 1, 4096)).toEqual([
      { method: 'sendPhoto', media: 'https://cdn.example.com/map.png' },
      { method: 'sendDocument', media: 'BQACAgIAAxkB' },
      { method: 'sendAudio', media: 'https://cdn.example.com/hello.ogg' },
      { method: 'sendVideo', media: 'https://cdn.example.com/howto.mp4' },
      { method: 'sendMessage', html: 'a.zip: ftp://files.example.com/a.zip' },
    ])
  })
})

describe('button values longer than callback_data allows', () => {
  const long = `refund:order=A-1009;reason=${'the charger arrived broken '.repeat(4)}`
  const chinese = '退货'.repeat(20)

  it('travel as themselves when they fit in 64 bytes', () => {
    expect(callbackData('csat:yes', 3)).toBe('csat:yes')
    expect(parseCallbackData('csat:yes')).toBeUndefined()
  })

  it('travel as a reference to their message that maps back to the exact value', () => {
    const parts: Part[] = [{ type: 'choice', text: 'Pick', options: [{ title: 'Refund', value: long }, { title: '退货', value: chinese }, { title: 'Other', value: 'other' }] }]
    for (const value of [long, chinese]) {
      const data = callbackData(value, 12)
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64)
      expect(callbackData(value, 12)).toBe(data)
      const reference = parseCallbackData(data)!
      expect(reference.seq).toBe(12)
      expect(valueIn(parts, reference)).toBe(value)
    }
  })

  it('refer to card postbacks too, and a value that looks like a reference is never mistaken for one', () => {
    const tricky = 'sb#1.AAAAAAAAAAAAAAAA'
    const parts: Part[] = [{ type: 'card', title: 'T', actions: [{ type: 'postback', title: 'Go', value: tricky }] }]
    const data = callbackData(tricky, 5)
    expect(data).not.toBe(tricky)
    expect(valueIn(parts, parseCallbackData(data)!)).toBe(tricky)
  })
})

describe('send outcomes', () => {
  const refused = (error_code: number, description: string, parameters?: object) => classify(new TelegramError({ error_code, description, ...(parameters ? { parameters } : {}) }))

  it('waits exactly retry_after on a 429 and follows a migrated group', () => {
    expect(outcomeOf(refused(429, 'Too Many Requests: retry after 35', { retry_after: 35 }), 1)).toEqual({ status: 'retry', afterMs: 35_000, error: '429 Too Many Requests: retry after 35' })
    expect(refused(400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: -1001234567890 })).toMatchObject({ migrateTo: '-1001234567890' })
  })

  it('gives up on refusals, never re-posts what Telegram may have, and retries what never reached it', () => {
    expect(outcomeOf(refused(403, 'Forbidden: bot was blocked by the user'), 1)).toEqual({ status: 'failed', error: '403 Forbidden: bot was blocked by the user' })
    expect(outcomeOf(classify(new TelegramError({ error_code: 502, description: 'Bad Gateway' })), 1).status).toBe('unknown')
    expect(outcomeOf(classify({ name: 'AbortError', type: 'aborted' }, 'no answer within 10000 ms'), 1)).toEqual({ status: 'unknown', error: 'no answer within 10000 ms' })
    expect(outcomeOf(classify({ name: 'FetchError', type: 'system', code: 'ECONNRESET' }), 1).status).toBe('unknown')
    expect(outcomeOf(classify({ name: 'FetchError', type: 'invalid-json' }), 1).status).toBe('unknown')
    const refusedConnection = outcomeOf(classify({ name: 'FetchError', type: 'system', code: 'ECONNREFUSED' }), 3)
    expect(refusedConnection).toMatchObject({ status: 'retry', error: 'ECONNREFUSED' })
    // The third attempt waits 4 s, give or take the 20 % jitter that keeps replicas apart.
    const afterMs = refusedConnection.status === 'retry' ? refusedConnection.afterMs : 0
    expect(afterMs).toBeGreaterThanOrEqual(3200)
    expect(afterMs).toBeLessThanOrEqual(4800)
  })
})

describe('the sender', () => {
  const delivery = (parts: Part[], attempt = 1): OutboundDelivery => ({ id: 'm_1', seq: 3, turnId: 't_1', conversationId: 'c_1', parts, text: '', createdAt: new Date(), attempt })
  const link: ConversationLink = { id: 'c_1', externalId: '-500', reference: { chatId: '-500', chatType: 'group' } }

  function rig(answers: ((method: string, payload: Record<string, unknown>) => unknown)[], waits: number[] = []) {
    const calls: { method: string; payload: Record<string, unknown> }[] = []
    const taken: Record<string, string | undefined>[] = []
    const resolved: unknown[] = []
    const client = {
      async call(method: string, payload: Record<string, unknown>) {
        calls.push({ method, payload })
        const answer = answers.shift()
        const result = answer?.(method, payload)
        if (result instanceof Error) throw result
        return true
      },
    } as unknown as TelegramClient
    const governor: RateGovernor = { take: async (keys) => (taken.push(keys), waits.shift() ?? 0) }
    const links = { target: async () => link, resolve: async (input: unknown) => (resolved.push(input), 'c_1') } as unknown as ConversationLinks
    const sender = new Sender({ client, links, governor, maxLength: 4096, throttled: () => {}, log: pino({ level: 'silent' }) })
    return { sender, calls, taken, resolved }
  }
  const apiError = (method: string, error: unknown) => new ApiError(method, classify(error))
  const parts: Part[] = [{ type: 'text', text: 'one' }, { type: 'image', url: 'https://cdn.example.com/a.png' }]

  it('takes the chat, group and bot budgets before each send and waits when one is empty', async () => {
    const { sender, calls, taken } = rig([], [250])
    expect(await sender.send(delivery(parts))).toEqual({ status: 'retry', afterMs: 250, error: 'held back by the rate governor' })
    expect(calls).toEqual([])
    expect(taken[0]).toEqual({ chat: '-500', group: '-500', bot: 'bot' })
  })

  it('continues a partly sent reply after the send that was refused, not from the start', async () => {
    const { sender, calls } = rig([() => undefined, (m) => apiError(m, new TelegramError({ error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 2 } }))])
    expect(await sender.send(delivery(parts))).toMatchObject({ status: 'retry', afterMs: 2000 })
    expect(await sender.send(delivery(parts, 2))).toEqual({ status: 'sent' })
    expect(calls.map((c) => c.method)).toEqual(['sendMessage', 'sendPhoto', 'sendPhoto'])
    expect(calls[0]!.payload).toMatchObject({ chat_id: -500, text: 'one', parse_mode: 'HTML' })
  })

  it('follows a group that became a supergroup: stores the new chat id and sends there', async () => {
    const migrated = new TelegramError({ error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1001234567890 } })
    const { sender, calls, resolved } = rig([(m) => apiError(m, migrated)])
    expect(await sender.send(delivery([{ type: 'text', text: 'hi' }]))).toEqual({ status: 'sent' })
    expect(calls.map((c) => c.payload.chat_id)).toEqual([-500, -1001234567890])
    expect(resolved).toEqual([{ externalId: '-500', userId: '-500', reference: { chatId: '-1001234567890', chatType: 'supergroup' } }])
  })

  it('refuses a reply with nothing to show rather than calling it sent', async () => {
    const { sender, calls } = rig([])
    expect(await sender.send(delivery([{ type: 'text', text: '  ' }]))).toMatchObject({ status: 'failed' })
    expect(calls).toEqual([])
  })

  it('reads the chat from the stored reference, falling back to the conversation’s external id', () => {
    expect(chatOf(link)).toEqual({ id: '-500', group: true })
    expect(chatOf({ id: 'c', externalId: '42', reference: null })).toEqual({ id: '42', group: false })
  })
})
