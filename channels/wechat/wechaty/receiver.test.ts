import { describe, expect, expectTypeOf, it } from 'vitest'
import type { MessageInterface } from 'wechaty/impls'
import { sbError, type AcceptResult, type ConversationLinks, type InboundActivity, type LinkInput, type TranscriptEntry, type TranscriptRepository } from '../../../core/index.js'
import { silentLog } from '../../../test/kit/activities.js'
import * as recorded from './fixtures/messages.js'
import type { MessagePayload, RoomPolicy } from './inbound.js'
import { MessageReceiver, type IncomingMessage } from './receiver.js'

/** A wechaty Message as the bot would emit it. */
function message(payload: MessagePayload, options: { self?: boolean; mentionsSelf?: boolean; talker?: string } = {}): IncomingMessage {
  return {
    id: payload.id,
    payload,
    self: () => options.self ?? false,
    talker: () => ({ name: () => options.talker ?? 'Mary' }),
    mentionSelf: async () => options.mentionsSelf ?? false,
    mentionText: async () => (payload.text ?? '').replace(/@\S+ \S+ ?/, ''),
  }
}

interface Setup {
  rooms?: RoomPolicy
  /** What the inbox does with each call, in turn; then it accepts. */
  inbox?: ('accept' | 'duplicate' | Error)[]
  attempts?: number
  history?: Pick<TranscriptEntry, 'direction' | 'turnId' | 'parts'>[]
}

function receiverWith(setup: Setup = {}) {
  const received: InboundActivity[] = []
  const linked: LinkInput[] = []
  const lost: number[] = []
  const controller = new AbortController()
  const script = [...(setup.inbox ?? [])]
  const links = { resolve: async (input: LinkInput) => (linked.push(input), `c_${input.externalId}`) } as unknown as ConversationLinks
  const transcript = { history: async () => setup.history ?? [] } as unknown as TranscriptRepository
  const receiver = new MessageReceiver({
    owner: { tenant: 'shop', instance: 'wx' },
    rooms: setup.rooms ?? 'mentioned',
    links,
    transcript,
    delivery: {
      settled: async () => true,
      async receive(activity): Promise<AcceptResult> {
        const next = script.shift() ?? 'accept'
        if (next instanceof Error) throw next
        received.push(activity)
        return next === 'accept' ? { status: 'accepted', turnId: 't', messageId: 'm' } : { status: 'duplicate', turnId: 't', messageId: 'm', done: true }
      },
    },
    retry: { attempts: setup.attempts ?? 4, minDelayMs: 5, maxDelayMs: 20 },
    signal: controller.signal,
    log: silentLog,
    lost: () => lost.push(1),
  })
  return { receiver, received, linked, lost, stop: () => controller.abort() }
}

describe('taking wechaty messages into the inbox', () => {
  it('links the chat to a conversation and hands the message over, attributed to the talker', async () => {
    const { receiver, received, linked } = receiverWith()
    expect(await receiver.receive(message(recorded.directText))).toBe('accepted')
    expect(linked).toEqual([{ externalId: recorded.MARY, userId: recorded.MARY, userName: 'Mary', reference: { contactId: recorded.MARY } }])
    expect(received).toMatchObject([{ id: recorded.directText.id, conversation: { id: `c_${recorded.MARY}`, externalId: recorded.MARY }, text: 'hello' }])
  })

  it('ignores the account’s own messages', async () => {
    const { receiver, received } = receiverWith()
    expect(await receiver.receive(message(recorded.directText, { self: true }))).toBe('ignored')
    expect(received).toEqual([])
  })

  it('in a room, answers the members who @-mention the bot, with the mention taken out', async () => {
    const { receiver, received, linked } = receiverWith()
    expect(await receiver.receive(message(recorded.roomChatter))).toBe('ignored')
    expect(await receiver.receive(message(recorded.roomMention, { mentionsSelf: true }))).toBe('accepted')
    expect(received).toMatchObject([{ text: 'hi room', conversation: { externalId: recorded.ROOM }, from: { id: recorded.MARY } }])
    expect(linked[0]?.reference).toEqual({ roomId: recorded.ROOM })
  })

  it('reports a redelivered message as the inbox’s duplicate', async () => {
    const { receiver } = receiverWith({ inbox: ['accept', 'duplicate'] })
    expect(await receiver.receive(message(recorded.directText))).toBe('accepted')
    expect(await receiver.receive(message(recorded.directText))).toBe('duplicate')
  })

  it('retries a message the inbox could not take, since wechaty will never deliver it again', async () => {
    const { receiver, received, lost } = receiverWith({ inbox: [sbError('SB_ERR_STORE_UNAVAILABLE'), new Error('deadlock detected')] })
    expect(await receiver.receive(message(recorded.directText))).toBe('accepted')
    expect(received).toHaveLength(1)
    expect(lost).toEqual([])
  })

  it('waits as long as a rate-limited inbox asks', async () => {
    const limited = Object.assign(sbError('SB_ERR_RATE_LIMITED'), { retryAfterMs: 30 })
    const { receiver, received } = receiverWith({ inbox: [limited] })
    const started = performance.now()
    expect(await receiver.receive(message(recorded.directText))).toBe('accepted')
    expect(performance.now() - started).toBeGreaterThanOrEqual(25)
    expect(received).toHaveLength(1)
  })

  it('gives up after its attempts, logs and counts the message lost', async () => {
    const down = sbError('SB_ERR_STORE_UNAVAILABLE')
    const { receiver, received, lost } = receiverWith({ attempts: 3, inbox: [down, down, down] })
    expect(await receiver.receive(message(recorded.directText))).toBe('lost')
    expect(received).toEqual([])
    expect(lost).toEqual([1])
  })

  it('does not retry into a gateway that is shutting down, nor after the channel stopped', async () => {
    const closing = receiverWith({ inbox: [sbError('SB_ERR_SHUTTING_DOWN')] })
    expect(await closing.receiver.receive(message(recorded.directText))).toBe('lost')
    const stopped = receiverWith({ inbox: [sbError('SB_ERR_STORE_UNAVAILABLE')] })
    stopped.stop()
    expect(await stopped.receiver.receive(message(recorded.directText))).toBe('lost')
  })

  it('keeps a chat’s messages in order while one of them is retried', async () => {
    const { receiver, received } = receiverWith({ inbox: [sbError('SB_ERR_STORE_UNAVAILABLE'), sbError('SB_ERR_STORE_UNAVAILABLE')] })
    const first = { ...recorded.directText, id: 'first', text: 'first' }
    const second = { ...recorded.directText, id: 'second', text: 'second' }
    await Promise.all([receiver.receive(message(first)), receiver.receive(message(second))])
    expect(received.map((a) => a.text)).toEqual(['first', 'second'])
  })

  it('reads "2" right after a numbered choice as its second option', async () => {
    const history = [
      { direction: 'in' as const, turnId: 't1', parts: [{ type: 'text' as const, text: 'menu' }] },
      { direction: 'out' as const, turnId: 't1', parts: [{ type: 'choice' as const, text: 'How can we help?', options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: 'return:A-1009' }] }] },
    ]
    const { receiver, received } = receiverWith({ history })
    await receiver.receive(message({ ...recorded.directText, id: 'pick', text: ' 2 ' }))
    await receiver.receive(message({ ...recorded.directText, id: 'out-of-range', text: '7' }))
    expect(received.map((a) => [a.kind, a.text])).toEqual([
      ['postback', 'return:A-1009'],
      ['message', '7'],
    ])
  })

  it('reads wechaty’s own Message (checked by the type checker)', () => {
    expectTypeOf<MessageInterface>().toExtend<IncomingMessage>()
  })

  it('counts a message it could not even read from the puppet as lost', async () => {
    const { receiver, lost } = receiverWith()
    const broken: IncomingMessage = { ...message(recorded.roomMention), mentionSelf: () => Promise.reject(new Error('no payload found for id x')) }
    expect(await receiver.receive(broken)).toBe('lost')
    expect(lost).toEqual([1])
  })
})
