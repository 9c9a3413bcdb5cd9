import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { AcceptResult, ConversationLinks, ConversationRepository, InboundActivity, TranscriptEntry, TranscriptRepository } from '../../core/index.js'
import { readTwiml, type Verb } from '../../test/fakes/twilio-twiml.js'
import { CallFlow, type CallFlowDeps } from './call-flow.js'
import type { CallRequest } from './call-request.js'
import { CallUrls } from './call-urls.js'
import { promptsFor } from './prompts.js'
import { ReplyWaiter } from './reply-waiter.js'

const prompts = promptsFor({}, 'en-US')
const storeDown = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))
const call = (extra: Record<string, string> = {}): CallRequest => {
  const params = { AccountSid: 'AC1', CallSid: 'CA1', From: '+14155550123', To: '+18005550100', CallStatus: 'in-progress', ...extra }
  return { callSid: params.CallSid, from: params.From, to: params.To, params }
}
const reply = (seq: number, turnId: string, parts: TranscriptEntry['parts'], annotations: Record<string, unknown> = {}): TranscriptEntry => ({
  id: `m${seq}`, tenant: 'acme', conversationId: 'conv-1', direction: 'out', turnId, seq, platformMsgId: null, senderId: 'bot', senderRole: 'bot', kind: 'message',
  text: parts.map((p) => (p.type === 'text' ? p.text : '')).join(''), parts, annotations, createdAt: new Date(),
})

const stops: AbortController[] = []
afterEach(() => stops.splice(0).forEach((s) => s.abort()))

/** The flow over an in-memory store; `store` is changed by each test to fail where it needs. */
function setup(config: Partial<CallFlowDeps['config']> = {}) {
  const rows: TranscriptEntry[] = []
  const received: InboundActivity[] = []
  const closed: string[] = []
  const store = {
    link: (): Promise<string> => Promise.resolve('conv-1'),
    receive: (activity: InboundActivity): Promise<AcceptResult> => {
      received.push(activity)
      return Promise.resolve({ status: 'accepted', turnId: 't_1', messageId: 'm_in' })
    },
    read: (after: number): Promise<TranscriptEntry[]> => Promise.resolve(rows.filter((r) => r.seq! > after)),
    /** The turn is still running unless a test says it finished. */
    settled: (_turnId: string): Promise<boolean> => Promise.resolve(false),
    close: (id: string) => {
      closed.push(id)
      return Promise.resolve(closed.length === 1)
    },
  }
  const stop = new AbortController()
  stops.push(stop)
  const transcript = { outboundAfter: (_t: string, _c: string, after: number) => store.read(after) } as unknown as TranscriptRepository
  const deps: CallFlowDeps = {
    owner: { tenant: 'acme', instance: 'phone' },
    config: { answerWithinMs: 50, maxRedirects: 2, maxLowConfidence: 2, maxNoInput: 3, lowConfidence: 0.4, ...config },
    prompts,
    voice: { language: 'en-US', listenLanguage: 'en-US' },
    urls: new CallUrls((route) => `https://voice.acme.example/t/acme/phone${route}`),
    links: { resolve: () => store.link() } as unknown as ConversationLinks,
    delivery: { receive: (activity) => store.receive(activity), settled: (turnId) => store.settled(turnId) },
    conversations: { close: (_t: string, id: string) => store.close(id) } as unknown as ConversationRepository,
    transcript,
    waiter: new ReplyWaiter({ repliesAfter: (_c, after) => store.read(after), settled: (turnId) => store.settled(turnId), pollMs: 10, signal: stop.signal }),
    log: pino({ level: 'silent' }),
  }
  return { flow: new CallFlow(deps), store, rows, received, closed }
}

/** What the caller hears, and where the call goes next. */
function heard(twiml: string) {
  const read = readTwiml('text/xml', twiml)
  if ('error' in read) throw new Error(read.error.message)
  const says: string[] = []
  let next: string | undefined
  const visit = (verb: Verb) => {
    if (verb.verb === 'Say') says.push(verb.text)
    if (verb.verb === 'Gather') {
      verb.prompts.forEach(visit)
      next ??= `gather ${verb.attributes.action}`
    }
    if (verb.verb === 'Redirect') next ??= `redirect ${verb.url}`
    if (verb.verb === 'Dial') next ??= `dial ${verb.nouns.map((n) => n.target).join()} → ${verb.attributes.action}`
    if (verb.verb === 'Hangup') next ??= 'hangup'
  }
  read.verbs.forEach(visit)
  return { says, next: next?.replace('https://voice.acme.example/t/acme/phone', '') }
}

describe('the call flow when the store fails', () => {
  it('still greets a caller whose call could not be recorded yet; the first utterance links it', async () => {
    const { flow, store } = setup()
    store.link = storeDown
    expect(heard(await flow.incoming(call()))).toEqual({ says: [prompts.greeting], next: 'gather /turn?after=0&n=1' })
  })

  it('apologises and asks again, at the same step, when what the caller said could not be stored', async () => {
    const { flow, store } = setup()
    store.receive = storeDown
    expect(heard(await flow.turn(call({ SpeechResult: 'refund please', Confidence: '0.9' }), { after: 4, n: 3 }))).toEqual({ says: [prompts.apology], next: 'gather /turn?after=4&n=3' })
    store.link = storeDown
    expect(heard(await flow.turn(call({ SpeechResult: 'refund please', Confidence: '0.9' }), { after: 4, n: 3, menu: 4 })).next).toBe('gather /turn?after=4&n=3&menu=4')
  })

  it('says the filler and comes back when the answer cannot be read yet, then reads it', async () => {
    const { flow, store, rows } = setup()
    const read = store.read
    store.read = storeDown
    expect(heard(await flow.turn(call({ SpeechResult: 'where is my order', Confidence: '0.9' }), { after: 0, n: 1 }))).toEqual({
      says: [prompts.filler],
      next: 'redirect /pickup?after=0&n=1&turn=t_1&try=1',
    })
    store.read = read
    rows.push(reply(1, 't_1', [{ type: 'text', text: 'It ships today.' }]))
    expect(heard(await flow.pickup(call(), { after: 0, n: 1, turn: 't_1', try: 1 }))).toEqual({ says: ['It ships today.'], next: 'gather /turn?after=1&n=2' })
  })

  it('lets a status callback fail with the store, so Twilio may send it again', async () => {
    const { flow, store } = setup()
    store.link = storeDown
    await expect(flow.status(call({ CallStatus: 'completed' }))).rejects.toMatchObject({ status: 503, code: 'SB_ERR_STORE_UNAVAILABLE' })
  })
})

describe('the call flow', () => {
  it('maps a key back to the option of the menu it answers, read from the transcript', async () => {
    const { flow, rows, received } = setup()
    rows.push(reply(2, 't_0', [{ type: 'choice', text: 'Pick one', options: [{ title: 'Refund', value: 'refund:start' }, { title: 'Exchange', value: 'exchange:start' }] }]))
    rows.push(reply(3, 't_1', [{ type: 'text', text: 'Let us start your exchange.' }]))
    expect(heard(await flow.turn(call({ Digits: '2' }), { after: 2, n: 2, menu: 2 }))).toEqual({ says: ['Let us start your exchange.'], next: 'gather /turn?after=3&n=3' })
    expect(received[0]).toMatchObject({ id: 'CA1:2', kind: 'postback', text: 'exchange:start', voice: { dtmf: '2' }, conversation: { id: 'conv-1', externalId: 'CA1' } })
  })

  it('listens again at once, without fillers, when the turn finished without a reply', async () => {
    const { flow, store } = setup({ answerWithinMs: 5000 })
    store.settled = () => Promise.resolve(true)
    expect(heard(await flow.turn(call({ SpeechResult: 'hmm', Confidence: '0.9' }), { after: 2, n: 2 }))).toEqual({ says: [], next: 'gather /turn?after=2&n=3' })
  })

  it('keeps the keys as text when the menu is no longer in the transcript', async () => {
    const { flow, rows, received } = setup()
    rows.push(reply(3, 't_1', [{ type: 'text', text: 'ok' }]))
    await flow.turn(call({ Digits: '2' }), { after: 2, n: 2, menu: 2 })
    expect(received[0]).toMatchObject({ kind: 'message', text: '2' })
  })

  it('after every filler, apologises and moves on; with a handoff it transfers instead', async () => {
    expect(heard(await setup().flow.pickup(call(), { after: 5, n: 4, turn: 't_9', try: 2 }))).toEqual({ says: [prompts.apology], next: 'gather /turn?after=5&n=5' })
    const withHandoff = setup({ handoff: { number: '+14155550100', timeoutSeconds: 30 } })
    expect(heard(await withHandoff.flow.pickup(call(), { after: 5, n: 4, turn: 't_9', try: 2 }))).toEqual({
      says: [prompts.delayed, prompts.transferring],
      next: 'dial +14155550100 → /dial?after=5&n=5',
    })
    expect(heard(await setup({ maxRedirects: 0 }).flow.pickup(call(), { after: 5, n: 4, turn: 't_9', try: 0 })).says).toEqual([prompts.apology])
  })

  it('transfers on a reply’s handoff, and reports back to the dial route with the next step', async () => {
    const { flow, rows } = setup({ handoff: { sip: 'sip:desk@pbx.acme.example', timeoutSeconds: 30 } })
    rows.push(reply(1, 't_1', [{ type: 'text', text: 'A colleague will help.' }], { handoff: true }))
    expect(heard(await flow.turn(call({ SpeechResult: 'a person please' }), { after: 0, n: 1 }))).toEqual({
      says: ['A colleague will help.'],
      next: 'dial sip:desk@pbx.acme.example → /dial?after=1&n=2',
    })
  })

  it.each([
    ['completed', {}, { says: [prompts.goodbye], next: 'hangup' }],
    ['busy', {}, { says: [prompts.transferFailed], next: 'gather /turn?after=1&n=2' }],
    ['no-answer', {}, { says: [prompts.transferFailed], next: 'gather /turn?after=1&n=2' }],
    ['a queue that bridged', { QueueResult: 'bridged' }, { says: [prompts.goodbye], next: 'hangup' }],
    ['a full queue', { QueueResult: 'queue-full' }, { says: [prompts.transferFailed], next: 'gather /turn?after=1&n=2' }],
  ])('after a transfer that ended %s', async (status, extra, expected) => {
    const params = 'QueueResult' in extra ? extra : { DialCallStatus: status }
    expect(heard(await setup().flow.dialed(call(params), { after: 1, n: 2 }))).toEqual(expected)
  })

  it('closes the conversation on the statuses that end a call, and ignores the rest', async () => {
    const { flow, closed } = setup()
    for (const status of ['ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled', 'completed']) await flow.status(call({ CallStatus: status }))
    expect(closed).toEqual(Array(6).fill('conv-1'))
  })
})
