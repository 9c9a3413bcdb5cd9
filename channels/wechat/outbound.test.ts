import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { HttpFailure, splitText, type ConversationLinks, type OutboundDelivery, type Part, type RateGovernor } from '../../core/index.js'
import type { ApiAnswer, ApiMessage, WeChatApi } from './api.js'
import { mediaUrl } from './inbound.js'
import { planMessages, WeChatSender } from './outbound.js'
import { PassiveReplies } from './passive-reply.js'

describe('planning the API messages of a reply', () => {
  it.each<[string, Part[], ApiMessage[]]>([
    ['a text is one message', [{ type: 'text', text: '您好' }], [{ msgtype: 'text', content: '您好' }]],
    [
      'a choice is a numbered list, joined with the text before it',
      [{ type: 'text', text: 'How can we help?' }, { type: 'choice', text: 'Choose:', options: [{ title: 'Track', value: 't' }, { title: 'Return', value: 'r' }] }],
      [{ msgtype: 'text', content: 'How can we help?\n\nChoose:\n1. Track\n2. Return' }],
    ],
    ['an image this app received goes back by its MediaId', [{ type: 'text', text: 'this one?' }, { type: 'image', url: mediaUrl('oa', 'M1') }], [{ msgtype: 'text', content: 'this one?' }, { msgtype: 'image', mediaId: 'M1' }]],
    ['an image from elsewhere is a link', [{ type: 'image', url: 'https://cdn.example/a.png', name: 'receipt' }], [{ msgtype: 'text', content: 'receipt: https://cdn.example/a.png' }]],
    ['another app’s media is a link too: its MediaId means nothing here', [{ type: 'image', url: mediaUrl('other', 'M1') }], [{ msgtype: 'text', content: 'wechat-media:other/M1' }]],
    ['blank text is nothing to send', [{ type: 'text', text: '  \n' }], []],
  ])('%s', (_name, parts, expected) => {
    expect(planMessages(parts, 'oa', 682)).toEqual(expected)
  })

  it('splits a long choice list at the limit, every line kept in order', () => {
    const options = Array.from({ length: 40 }, (_, i) => ({ title: `选项 ${i + 1} 说明文字`, value: `v${i}` }))
    const messages = planMessages([{ type: 'choice', text: '请选择', options }], 'oa', 100)
    expect(messages.length).toBeGreaterThan(1)
    for (const m of messages) expect(m.msgtype === 'text' && m.content.length).toBeLessThanOrEqual(100)
    expect(messages.map((m) => (m.msgtype === 'text' ? m.content : '')).join('\n')).toBe(['请选择', ...options.map((o, i) => `${i + 1}. ${o.title}`)].join('\n'))
  })
})

const delivery = (parts: Part[], overrides: Partial<OutboundDelivery> = {}): OutboundDelivery => ({
  id: 'm1',
  seq: 1,
  turnId: 't1',
  conversationId: 'c1',
  parts,
  text: '',
  createdAt: new Date(),
  attempt: 1,
  ...overrides,
})

/** A sender whose API answers from `script` in turn, recording what it was asked to send. */
function sender(script: (ApiAnswer | Error)[], options: { wait?: number } = {}) {
  const sent: ApiMessage[] = []
  const undeliverable: string[] = []
  const passive = new PassiveReplies()
  const typing: string[] = []
  const api = {
    typing: async (user: string, on: boolean) => {
      if (user === 'oBroken') throw new Error('45015 response out of time limit')
      typing.push(`${user}:${on}`)
      return { errcode: 0, errmsg: 'ok' }
    },
    send: async (_user: string, message: ApiMessage) => {
      sent.push(message)
      const next = script.shift() ?? { errcode: 0, errmsg: 'ok' }
      if (next instanceof Error) throw next
      return next
    },
  } as unknown as WeChatApi
  const governor: RateGovernor = { take: async () => options.wait ?? 0 }
  const users: Record<string, string> = { c1: 'oUser', c2: 'oBroken' }
  const links = { target: async (id: string) => (users[id] ? { id, externalId: users[id], reference: null } : undefined) } as unknown as ConversationLinks
  const wechat = new WeChatSender({
    api,
    links,
    governor,
    passive,
    instance: 'oa',
    maxLength: 10,
    undeliverable: (_d, reason) => undeliverable.push(reason),
    throttled: () => {},
    log: pino({ level: 'silent' }),
  })
  return { wechat, sent, undeliverable, passive, typing }
}

describe('sending a reply', () => {
  it('gives a turn’s single-message reply to its waiting callback, and says sent once it was written', async () => {
    const { wechat, sent, passive } = sender([])
    const waiting = passive.wait('t1', 5000, { once: () => undefined, off: () => undefined })
    const outcome = wechat.send(delivery([{ type: 'text', text: 'hi' }]))
    const offer = (await waiting)!
    expect(offer.text).toBe('hi')
    offer.settle('sent')
    expect(await outcome).toEqual({ status: 'sent' })
    expect(sent).toEqual([])
  })

  it('reports unknown when the callback’s connection closed mid-answer, and uses the API when it declined', async () => {
    const { wechat, sent, passive } = sender([])
    const noop = { once: () => undefined, off: () => undefined }
    let waiting = passive.wait('t1', 5000, noop)
    let outcome = wechat.send(delivery([{ type: 'text', text: 'hi' }]))
    ;(await waiting)!.settle('unknown')
    expect((await outcome).status).toBe('unknown')
    waiting = passive.wait('t2', 5000, noop)
    outcome = wechat.send(delivery([{ type: 'text', text: 'hi' }], { turnId: 't2' }))
    ;(await waiting)!.settle('declined')
    expect(await outcome).toEqual({ status: 'sent' })
    expect(sent).toEqual([{ msgtype: 'text', content: 'hi' }])
  })

  it('lets the waiting callback answer success at once when the reply needs more than one message', async () => {
    const { wechat, sent, passive } = sender([])
    const waiting = passive.wait('t1', 60_000, { once: () => undefined, off: () => undefined })
    expect(await wechat.send(delivery([{ type: 'text', text: 'one two three four five' }]))).toEqual({ status: 'sent' })
    expect(await waiting).toBeUndefined()
    expect(sent.length).toBeGreaterThan(1)
  })

  it('continues a split reply after the part that went out, when the rest had to wait', async () => {
    const { wechat, sent } = sender([{ errcode: 0, errmsg: 'ok' }, { errcode: -1, errmsg: 'system error' }])
    const long = delivery([{ type: 'text', text: 'one two three four five' }])
    expect((await wechat.send(long)).status).toBe('retry')
    expect(await wechat.send({ ...long, attempt: 2 })).toEqual({ status: 'sent' })
    const [first, second, ...rest] = splitText('one two three four five', 10)
    // The first went out once; the second was refused (busy), so it is the one sent again.
    expect(sent.map((m) => (m.msgtype === 'text' ? m.content : ''))).toEqual([first, second, second, ...rest])
  })

  it('marks a reply over the quota failed and reports it, never retrying it', async () => {
    const { wechat, undeliverable } = sender([{ errcode: 45047, errmsg: 'out of response count limit' }])
    expect(await wechat.send(delivery([{ type: 'text', text: 'hi' }]))).toMatchObject({ status: 'failed' })
    expect(undeliverable).toEqual(['45047'])
  })

  it('never re-posts a send that may have arrived', async () => {
    const { wechat, sent } = sender([new HttpFailure('api: no answer within 10000 ms', true)])
    expect((await wechat.send(delivery([{ type: 'text', text: 'hi' }]))).status).toBe('unknown')
    expect(sent).toHaveLength(1)
  })

  it('waits for the rate governor, and fails a reply to a conversation it does not know', async () => {
    expect(await sender([], { wait: 700 }).wechat.send(delivery([{ type: 'text', text: 'hi' }]))).toMatchObject({ status: 'retry', afterMs: 700 })
    expect((await sender([]).wechat.send(delivery([{ type: 'text', text: 'hi' }], { conversationId: 'c9' }))).status).toBe('failed')
  })

  it('shows "typing…" best effort: never when the app’s budget is short, and a refusal costs nothing', async () => {
    const ok = sender([])
    await ok.wechat.showTyping('c1')
    await ok.wechat.showTyping('c2')
    expect(ok.typing).toEqual(['oUser:true'])
    const busy = sender([], { wait: 100 })
    await busy.wechat.showTyping('c1')
    expect(busy.typing).toEqual([])
  })
})
