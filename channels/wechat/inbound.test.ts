import { describe, expect, it } from 'vitest'
import { InboundActivity } from '../../core/index.js'
import { fixture, fixtures } from './fixtures/index.js'
import { decodeCallback, mediaOf, mediaUrl, normalise } from './inbound.js'
import { parseCallbackXml, XmlRefused } from './xml.js'

const owner = { tenant: 'contract', instance: 'chan', locale: 'zh-CN' }
const decode = (name: string) => decodeCallback(parseCallbackXml(fixture(name).raw as string), owner)

describe('inbound normalisation of recorded callbacks', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, { raw, expected }) => {
    const activity = normalise(raw, owner)
    if (expected === null) return expect(activity).toBeUndefined()
    expect(activity).toMatchObject(expected)
    // Whatever it decodes passes the gateway's own schema, media URLs included, and keeps the fields as received.
    expect(() => InboundActivity.parse(activity)).not.toThrow()
    expect(activity!.raw).toEqual(parseCallbackXml(raw as string))
  })

  it('links a message to its user, and a passive reply to the account it was sent to', () => {
    const decoded = decode('text')!
    expect(decoded).toMatchObject({ user: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', account: 'gh_0123456789ab' })
    expect(decoded.activity.conversation).toMatchObject({ externalId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', channel: 'wechat', instance: 'chan' })
    expect(decoded.activity.at).toEqual(new Date(1712052000_000))
  })

  it('tells two events of one user in the same second apart by their event and key', () => {
    const event = (name: string, key: string) =>
      decodeCallback({ ToUserName: 'gh_1', FromUserName: 'oUser', CreateTime: '1712052000', MsgType: 'event', Event: name, EventKey: key }, owner)!.activity.id
    expect(new Set([event('CLICK', 'A'), event('CLICK', 'B'), event('VIEW', 'A'), event('subscribe', '')]).size).toBe(4)
  })

  it('points media at the MediaId of this instance, never at a URL with a token', () => {
    expect(decode('image')!.activity.parts[0]).toEqual({ type: 'image', url: 'wechat-media:chan/media_ID-1_x', mime: 'image/jpeg' })
    expect(mediaOf(mediaUrl('shop/2', 'a/b c'))).toEqual({ instance: 'shop/2', mediaId: 'a/b c' })
    expect(mediaOf('https://mmbiz.qpic.cn/x.jpg')).toBeUndefined()
  })

  it('makes a NUL storable rather than failing to store the message', () => {
    const activity = decodeCallback({ ToUserName: 'gh_1', FromUserName: 'oUser', CreateTime: '1', MsgType: 'text', Content: 'a\u0000b', MsgId: '1' }, owner)!.activity
    expect(activity.text).toBe('a\uFFFDb')
    expect((activity.raw as Record<string, string>).Content).toBe('a\uFFFDb')
  })

  it('refuses a callback without the fields every callback has', () => {
    for (const missing of ['FromUserName', 'ToUserName', 'MsgType', 'CreateTime']) {
      const record: Record<string, string> = { ToUserName: 'gh_1', FromUserName: 'oUser', CreateTime: '1712052000', MsgType: 'text', Content: 'hi' }
      delete record[missing]
      expect(() => decodeCallback(record, owner)).toThrow(XmlRefused)
    }
    expect(() => decodeCallback({ ToUserName: 'gh_1', FromUserName: 'oUser', CreateTime: 'yesterday', MsgType: 'text' }, owner)).toThrow(XmlRefused)
  })

  it('ignores what it cannot read as a callback in the contract kit’s pure decode', () => {
    expect(normalise('<!DOCTYPE x><xml/>', owner)).toBeUndefined()
    expect(normalise({ not: 'xml' }, owner)).toBeUndefined()
  })
})
