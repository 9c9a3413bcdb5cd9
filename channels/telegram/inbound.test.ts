import type { Update } from 'telegraf/types'
import { describe, expect, it } from 'vitest'
import { InboundActivity, parseWebhookJson } from '../../core/index.js'
import { fixture, fixtures } from './fixtures/index.js'
import { decodeUpdate, fileIdOf, fileUrl, normalise, WireUpdate } from './inbound.js'

const owner = { tenant: 'contract', instance: 'chan' }
const decode = (name: string) => decodeUpdate(fixture(name).raw as Update, owner, new Date(0))

describe('inbound normalisation of recorded updates', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, { raw, expected }) => {
    const activity = normalise(raw, owner)
    if (expected === null) return expect(activity).toBeUndefined()
    expect(activity).toMatchObject(expected)
    // Whatever it decodes passes the gateway's own schema, media URLs included, and keeps the raw update.
    expect(() => InboundActivity.parse(activity)).not.toThrow()
    expect(activity!.raw).toEqual(raw)
  })

  it('links each update to its chat: private chats by user id, groups by their negative id', () => {
    expect(decode('message')!.chat).toEqual({ id: '1111111', type: 'private' })
    expect(decode('group')!.chat).toEqual({ id: '-4503599627370495', type: 'supergroup' })
    expect(decode('group')!.activity.conversation.externalId).toBe('-4503599627370495')
  })

  it('takes a button press without a message to the presser’s private chat', () => {
    const decoded = decode('callback_query_inline')!
    expect(decoded.chat).toEqual({ id: '1111111', type: 'private' })
    expect(decoded.activity.replyTo).toBeUndefined()
  })

  it('dates a message by when it was sent or last edited, a button press by when it arrived', () => {
    expect(decode('message')!.activity.at).toEqual(new Date(1441645532_000))
    expect(decode('edited_message')!.activity.at).toEqual(new Date(1441645600_000))
    expect(decode('callback_query')!.activity.at).toEqual(new Date(0))
  })

  it('points media at Telegram file ids, never at a download URL carrying the bot token', () => {
    const { parts } = decode('photo_caption')!.activity
    expect(parts[0]).toMatchObject({ type: 'image', url: 'tg-file:AgACAgIAAxkBAAIBZ2VlargeAAE-_' })
    expect(fileIdOf(fileUrl('AgAC-_x'))).toBe('AgAC-_x')
    expect(fileIdOf('https://example.com/a.png')).toBeUndefined()
  })

  it('keeps a user’s Unicode exactly: nothing normalised, trimmed or stripped', () => {
    const text = ' \u202Eabc\u202C  👩‍👩‍👧 e\u0301 '
    const update = { update_id: 1, message: { message_id: 1, date: 1, chat: { id: 5, type: 'private' }, from: { id: 5, is_bot: false, first_name: 'A' }, text } }
    expect(normalise(update, owner)!.text).toBe(text)
  })

  it('makes a lone surrogate or NUL storable rather than failing to store the update', () => {
    const body = Buffer.from('{"update_id":2,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"a\\ud800b\\u0000c"}}')
    expect(normalise(parseWebhookJson(body), owner)!.text).toBe('a\uFFFDb\uFFFDc')
  })

  it('refuses ids a JSON number cannot hold exactly, rather than answer a rounded chat', () => {
    const update = (chatId: number) => ({ update_id: 3, message: { message_id: 1, date: 1, chat: { id: chatId, type: 'private' }, text: 'hi' } })
    expect(WireUpdate.safeParse(update(-4503599627370495)).success).toBe(true)
    const huge = WireUpdate.safeParse(update(2 ** 60))
    expect(huge.success).toBe(false)
    expect(huge.error!.issues[0]!.message).toMatch(/2\^53/)
    expect(WireUpdate.safeParse({ update_id: 2 ** 60 }).success).toBe(false)
    expect(WireUpdate.safeParse({ update_id: -1 }).success).toBe(false)
  })

  it('ignores an update it cannot read the fields of rather than guessing', () => {
    expect(normalise({ update_id: 4, message: { message_id: 1, date: 1, text: 'no chat' } }, owner)).toBeUndefined()
    expect(normalise({ message: {} }, owner)).toBeUndefined()
  })
})
