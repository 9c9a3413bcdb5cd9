import { describe, expect, it } from 'vitest'
import { plainText, type ConversationLink, type ConversationLinks, type OutboundDelivery, type Part, type RateGovernor } from '../../../core/index.js'
import { silentLog } from '../../../test/kit/activities.js'
import type { ChatTarget } from './inbound.js'
import { chatOf, Sender, type Directory, type Sayer } from './outbound.js'

const ROOM = '20931@chatroom'

const delivery = (parts: Part[], attempt = 1): OutboundDelivery => ({
  id: 'm_1',
  seq: 3,
  turnId: 't_1',
  conversationId: 'c_1',
  parts,
  text: plainText(parts),
  createdAt: new Date(),
  attempt,
})
const hello = delivery([{ type: 'text', text: 'Hello!' }])

/** A puppet's view of the account: who it can see, what they were told, and what goes wrong. */
function account(options: { loggedIn?: boolean; visible?: string[]; findFails?: boolean; sayFails?: boolean } = {}) {
  const said: { chat: ChatTarget; text: string }[] = []
  const directory: Directory = {
    loggedIn: options.loggedIn ?? true,
    async find(chat) {
      if (options.findFails) throw new Error('14 UNAVAILABLE: puppet service unreachable')
      if (!(options.visible ?? ['wxid_mary', ROOM]).includes(chat.id)) return undefined
      const sayer: Sayer = {
        async say(text) {
          if (options.sayFails) throw new Error('4 DEADLINE_EXCEEDED')
          said.push({ chat, text })
        },
      }
      return sayer
    },
  }
  return { directory, said }
}

function sender(directory: Directory, options: { link?: ConversationLink | 'store down'; waits?: number[] } = {}) {
  const taken: Record<string, string | undefined>[] = []
  const counted = { throttled: 0, undeliverable: [] as string[] }
  const link = options.link ?? { id: 'c_1', externalId: 'wxid_mary', reference: { contactId: 'wxid_mary' } }
  const links = {
    target: async () => {
      if (link === 'store down') throw new Error('connection refused')
      return link
    },
  } as unknown as ConversationLinks
  const waits = [...(options.waits ?? [])]
  const governor: RateGovernor = { take: async (keys) => (taken.push(keys), waits.shift() ?? 0) }
  const instance = new Sender({
    directory,
    links,
    governor,
    throttled: () => counted.throttled++,
    undeliverable: (reason) => counted.undeliverable.push(reason),
    log: silentLog,
  })
  return { sender: instance, taken, counted }
}

describe('replies through a wechaty puppet', () => {
  it('says the reply to the contact, a choice as a numbered list', async () => {
    const { directory, said } = account()
    const parts: Part[] = [{ type: 'text', text: 'How can we help?' }, { type: 'choice', text: 'Pick one', options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: 'return' }] }]
    const { sender: s, taken } = sender(directory)
    expect(await s.send(delivery(parts))).toEqual({ status: 'sent' })
    expect(said).toEqual([{ chat: { id: 'wxid_mary', room: false }, text: 'How can we help?\n\nPick one\n1. Track my order\n2. Return an item' }])
    expect(taken).toEqual([{ chat: 'wxid_mary', room: undefined, account: 'account' }])
  })

  it('says it in the room, drawing on the room’s budget too', async () => {
    const { directory, said } = account()
    const { sender: s, taken } = sender(directory, { link: { id: 'c_1', externalId: ROOM, reference: { roomId: ROOM } } })
    expect(await s.send(hello)).toEqual({ status: 'sent' })
    expect(said).toEqual([{ chat: { id: ROOM, room: true }, text: 'Hello!' }])
    expect(taken).toEqual([{ chat: ROOM, room: ROOM, account: 'account' }])
  })

  it('waits while the account is logged out, longer each attempt', async () => {
    const { directory, said } = account({ loggedIn: false })
    const { sender: s } = sender(directory)
    const first = await s.send(delivery(hello.parts, 1))
    const fifth = await s.send(delivery(hello.parts, 5))
    expect(first).toMatchObject({ status: 'retry', error: 'the WeChat account is not logged in' })
    expect(first.status === 'retry' && fifth.status === 'retry' && fifth.afterMs > first.afterMs).toBe(true)
    expect(said).toEqual([])
  })

  it('holds a reply back when the rate governor says so, and counts it', async () => {
    const { directory, said } = account()
    const { sender: s, counted } = sender(directory, { waits: [800] })
    expect(await s.send(hello)).toEqual({ status: 'retry', afterMs: 800, error: 'held back by the rate governor' })
    expect(counted.throttled).toBe(1)
    expect(said).toEqual([])
    expect(await s.send(hello)).toEqual({ status: 'sent' })
  })

  it('fails for good when the contact is gone, and counts it undeliverable', async () => {
    const { directory } = account({ visible: [] })
    const { sender: s, counted } = sender(directory)
    expect(await s.send(hello)).toEqual({ status: 'failed', error: 'the account cannot see this contact (any more)' })
    expect(counted.undeliverable).toEqual(['contact_not_found'])
  })

  it('retries when nothing was handed to the puppet yet: the store or the puppet was unreachable', async () => {
    expect(await sender(account().directory, { link: 'store down' }).sender.send(hello)).toMatchObject({ status: 'retry', error: 'conversation lookup failed: connection refused' })
    expect(await sender(account({ findFails: true }).directory).sender.send(hello)).toMatchObject({ status: 'retry', error: 'contact lookup failed: 14 UNAVAILABLE: puppet service unreachable' })
  })

  it('never re-sends a reply whose say() failed after the puppet took it: that is unknown', async () => {
    const { directory } = account({ sayFails: true })
    expect(await sender(directory).sender.send(hello)).toEqual({ status: 'unknown', error: 'say failed after the puppet took it: 4 DEADLINE_EXCEEDED' })
  })

  it('fails a reply with nothing to say, or for a conversation no chat is linked to', async () => {
    const { directory } = account()
    expect(await sender(directory).sender.send(delivery([{ type: 'text', text: ' \n ' }]))).toEqual({ status: 'failed', error: 'the reply has no text to say' })
    const unlinked = { target: async () => undefined } as unknown as ConversationLinks
    const s = new Sender({ directory, links: unlinked, governor: { take: async () => 0 }, throttled: () => {}, undeliverable: () => {}, log: silentLog })
    expect(await s.send(hello)).toEqual({ status: 'failed', error: 'no WeChat chat is linked to this conversation' })
  })

  it.each([
    ['a contact reference', { contactId: 'wxid_mary' }, 'wxid_mary', { id: 'wxid_mary', room: false }],
    ['a room reference', { roomId: ROOM }, ROOM, { id: ROOM, room: true }],
    ['no reference, a room id', null, ROOM, { id: ROOM, room: true }],
    ['no reference, a contact id', null, 'wxid_mary', { id: 'wxid_mary', room: false }],
  ])('finds the chat from %s', (_what, reference, externalId, expected) => {
    expect(chatOf({ id: 'c_1', externalId, reference })).toEqual(expected)
  })
})
