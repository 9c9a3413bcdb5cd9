import { describe, expect, it } from 'vitest'
import * as recorded from './fixtures/messages.js'
import { decodeMessage, MessageType, type MessageFacts, type MessagePayload } from './inbound.js'

const facts = (extra: Partial<MessageFacts> = {}): MessageFacts => ({ tenant: 'shop', instance: 'wx', rooms: 'mentioned', mentionsSelf: false, ...extra })
const NOW = new Date('2026-01-01T00:00:00Z')

describe('a wechaty message, decoded', () => {
  it('a contact’s text becomes a message in the one-to-one chat with them', () => {
    const decoded = decodeMessage(recorded.directText, facts({ talkerName: 'Mary' }))
    expect(decoded?.chat).toEqual({ id: recorded.MARY, room: false })
    expect(decoded?.activity).toMatchObject({
      id: recorded.directText.id,
      tenant: 'shop',
      channel: 'wechat',
      instance: 'wx',
      conversation: { externalId: recorded.MARY },
      from: { id: recorded.MARY, role: 'user', name: 'Mary' },
      at: new Date(1796598740239),
      kind: 'message',
      text: 'hello',
      parts: [{ type: 'text', text: 'hello' }],
      raw: recorded.directText,
    })
  })

  it('a room message addressed to the bot is the room’s conversation, without the @-mention, from the member who wrote it', () => {
    const decoded = decodeMessage(recorded.roomMention, facts({ mentionsSelf: true, textWithoutMentions: 'hi room' }))
    expect(decoded?.chat).toEqual({ id: recorded.ROOM, room: true })
    expect(decoded?.activity).toMatchObject({ conversation: { externalId: recorded.ROOM }, from: { id: recorded.MARY }, text: 'hi room' })
  })

  it.each([
    ['mentioned', 'a room message @-mentioning the bot', recorded.roomMention, true, 'answered'],
    ['mentioned', 'room chatter', recorded.roomChatter, false, 'ignored'],
    ['all', 'room chatter', recorded.roomChatter, false, 'answered'],
    ['off', 'a room message @-mentioning the bot', recorded.roomMention, true, 'ignored'],
    ['off', 'a one-to-one message', recorded.directText, false, 'answered'],
  ] as const)('rooms: %s — %s is %s', (rooms, _what, payload, mentionsSelf, expected) => {
    expect(decodeMessage(payload, facts({ rooms, mentionsSelf })) ? 'answered' : 'ignored').toBe(expected)
  })

  it('takes the deprecated fromId and a timestamp in seconds, and keeps the text as it was written', () => {
    const decoded = decodeMessage(recorded.legacyText, facts())
    expect(decoded?.activity).toMatchObject({ from: { id: recorded.MARY }, at: new Date(1796598740 * 1000), text: '你好 & <hi> 🙂' })
  })

  it.each([
    ['an image', recorded.image, '[image]'],
    ['a voice message', recorded.voice, '[voice message]'],
    ['a file', recorded.file, '[file: invoice-A-1009.pdf]'],
    ['a shared link (XML in its text)', recorded.link, '[link]'],
    ['a location', recorded.location, '[location]'],
    ['a contact card', recorded.contactCard, '[contact card]'],
  ])('%s is answered as the short note %s, the payload kept in raw', (_what, payload, text) => {
    const activity = decodeMessage(payload, facts())?.activity
    expect(activity).toMatchObject({ text, parts: [{ type: 'text', text }], raw: payload })
  })

  it.each([
    ['a red envelope', recorded.redEnvelope],
    ['a recall notice', recorded.recalled],
    ['an unknown type', recorded.unknown],
  ])('%s is nothing to answer', (_what, payload) => {
    expect(decodeMessage(payload, facts())).toBeUndefined()
  })

  it('ignores a payload without a talker, and dates one without a timestamp now', () => {
    const { talkerId: _t, ...anonymous } = recorded.directText
    expect(decodeMessage(anonymous as MessagePayload, facts())).toBeUndefined()
    expect(decodeMessage({ ...recorded.directText, timestamp: 0 }, facts(), NOW)?.activity.at).toEqual(NOW)
  })

  it('knows the message types by the numbers the installed wechaty uses', async () => {
    const { types } = await import('wechaty')
    for (const [name, value] of Object.entries(MessageType)) expect(types.Message[name as keyof typeof types.Message], name).toBe(value)
  })
})
