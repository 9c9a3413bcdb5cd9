import { createCipheriv } from 'node:crypto'
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as wecom from '@wecom/crypto'
import { XMLParser } from 'fast-xml-parser'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decryptMessage, encryptMessage, WeChatCryptoError, wechatSignature } from './wechat-crypto.js'
import { createMessageBuilders } from './wechat-messages.js'
import { callbackXml } from './wechat-xml.js'
import { startFakeWeChat, type FakeOfficialAccount, type FakeWeChat, type FakeWeComApp } from './wechat.js'

/** channels.md §3.a, computed with the algorithm described there. */
const VECTOR = {
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appId: 'wxb11529c136998cb6',
  token: 'pamtest',
  timestamp: '1409304348',
  nonce: 'xxxxxx',
  random: 'aaaabbbbccccdddd',
  plaintext:
    '<xml><ToUserName><![CDATA[gh_123]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1409304348</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>1234567890123456</MsgId></xml>',
  encrypt:
    'jn1L23DB+6ELqJ+6bruv2xVKnRKouuuS8MBF+bjvhwEOwCsQEmPOHcb1wKExqwcZ8ysgIfFEMmmW+P4tHDwKeqjwkLx12edh2zIFtIePs5E2XtD5UmGU1d4nF4NAO2OLuGPBxEGlTKDmqBMnmP3GDsDx7lDLEajzvfGCuJ35Q0e6ze95bJzXFpSXCT/eWicGXmVYTdFep3VmcbkDbSqVx0SlRt7napSkq3y8uuKaS/ujyssne1avntO7Siw+YFbtMlqvcSBBBN0vHBm+Hc60xfIXi3y+EFhU+nlPQDGaJtVWBCJlBSL7NimSJgaPNGnIrgSrhT9k2+ZRTKqwzYUsmLbS6N/9+AscLCHeS9KPpvx2cs6xA633VYStygeF7EbN',
  msgSignature: '1f1faa6a84007039dd8cf66074e9b9c32d2bbf60',
}

const xml = new XMLParser({ parseTagValue: false, trimValues: true })

interface Received {
  method: string
  url: URL
  body: string
}

type StubAnswer = { status?: number; body: string } | 'hang'

/** A gateway stand-in on 127.0.0.1: records every request and answers with `answer`. */
async function startStub(answer: (request: Received, index: number) => StubAnswer | Promise<StubAnswer>) {
  const received: Received[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const request = { method: req.method ?? '', url: new URL(req.url ?? '/', 'http://stub'), body: Buffer.concat(chunks).toString('utf8') }
      received.push(request)
      const reply = await answer(request, received.length - 1)
      if (reply === 'hang') return
      res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain; charset=utf-8' }).end(reply.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat/callback`
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The gateway's side of safe mode, done by hand: does msg_signature cover the Encrypt, and what is inside. */
const encryptOf = (request: Received) => (xml.parse(request.body).xml.Encrypt as string | undefined) ?? ''
function signedOver(app: FakeOfficialAccount | FakeWeComApp, request: Received) {
  const q = request.url.searchParams
  return q.get('msg_signature') === wechatSignature(app.token, q.get('timestamp')!, q.get('nonce')!, encryptOf(request))
}
function openCallback(app: FakeOfficialAccount | FakeWeComApp, request: Received) {
  const { message, receiveId } = decryptMessage(encryptOf(request), app.encodingAesKey)
  return { receiveId, fields: xml.parse(message.toString('utf8')).xml as Record<string, string> }
}

function sealReply(app: FakeOfficialAccount | FakeWeComApp, plaintext: string, options: { token?: string } = {}) {
  const encrypt = encryptMessage(plaintext, app.encodingAesKey, app.receiveId)
  const signature = wechatSignature(options.token ?? app.token, '1409304348', '1320562132', encrypt)
  return `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${signature}]]></MsgSignature><TimeStamp>1409304348</TimeStamp><Nonce><![CDATA[1320562132]]></Nonce></xml>`
}

const textReply = (to: string, from: string, content: string) =>
  `<xml><ToUserName><![CDATA[${to}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content></xml>`

let fake: FakeWeChat
let stub: Awaited<ReturnType<typeof startStub>> | undefined

beforeEach(async () => {
  fake = await startFakeWeChat({ deadlineMs: 150 })
})
afterEach(async () => {
  await stub?.close()
  stub = undefined
  await fake.close()
})

/** Calls the fake's API like the gateway would, returning WeChat's JSON envelope. */
async function api(path: string, query: Record<string, string>, body?: unknown, on: FakeWeChat = fake): Promise<Record<string, any>> {
  const response = await fetch(`${on.apiRoot}${path}?${new URLSearchParams(query)}`, body === undefined ? {} : { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })
  expect(response.status).toBe(200)
  return (await response.json()) as Record<string, any>
}

const oaToken = async (oa: FakeOfficialAccount, on = fake) => (await api('/cgi-bin/token', { grant_type: 'client_credential', appid: oa.appId, secret: oa.appSecret }, undefined, on)).access_token as string
const sendText = (token: string, touser: string, content: string) => api('/cgi-bin/message/custom/send', { access_token: token }, { touser, msgtype: 'text', text: { content } })

describe('the crypto, written independently of the channel', () => {
  it('reproduces both test vectors of channels.md §3.a', () => {
    expect(wechatSignature('testtoken', '1409304348', 'xxxxxx')).toBe('30d7c91db269b3e0cb3e1a131646b6d1ae4750f5')
    const encrypt = encryptMessage(VECTOR.plaintext, VECTOR.encodingAesKey, VECTOR.appId, VECTOR.random)
    expect(encrypt).toBe(VECTOR.encrypt)
    expect(wechatSignature(VECTOR.token, VECTOR.timestamp, VECTOR.nonce, encrypt)).toBe(VECTOR.msgSignature)
    const opened = decryptMessage(VECTOR.encrypt, VECTOR.encodingAesKey)
    expect(opened.message.toString('utf8')).toBe(VECTOR.plaintext)
    expect(opened.receiveId).toBe(VECTOR.appId)
  })

  it('agrees with @wecom/crypto, the channel’s library, both ways and at every pad length', () => {
    for (let n = 0; n < 40; n++) {
      const message = `<xml><Content><![CDATA[${'好'.repeat(n)}x]]></Content></xml>`
      const ours = encryptMessage(message, VECTOR.encodingAesKey, VECTOR.appId)
      expect(wecom.decrypt(VECTOR.encodingAesKey, ours)).toMatchObject({ message, id: VECTOR.appId })
      const theirs = wecom.encrypt(VECTOR.encodingAesKey, message, VECTOR.appId)
      expect(decryptMessage(theirs, VECTOR.encodingAesKey)).toEqual({ message: Buffer.from(message), receiveId: VECTOR.appId })
      expect(wechatSignature(VECTOR.token, VECTOR.timestamp, VECTOR.nonce, ours)).toBe(wecom.getSignature(VECTOR.token, VECTOR.timestamp, VECTOR.nonce, ours))
    }
  })

  it('builds the vector’s plaintext byte for byte from a text message', () => {
    const builders = createMessageBuilders({ to: 'gh_123', nextMsgId: () => '1', addMedia: () => 'media' })
    expect(builders.text('oUser', 'hi', { createTime: 1409304348, msgId: '1234567890123456' }).xml).toBe(VECTOR.plaintext)
  })

  /** AES-256-CBC over bytes padded by hand, so the tests control every pad byte. */
  function sealRaw(bytes: Buffer) {
    const key = Buffer.from(`${VECTOR.encodingAesKey}=`, 'base64')
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
    return Buffer.concat([cipher.update(bytes), cipher.final()]).toString('base64')
  }
  /** random16 | length | `n` bytes of message | appid: 38 + n bytes. */
  const framed = (n: number) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(n)
    return Buffer.concat([Buffer.from(VECTOR.random), length, Buffer.alloc(n, 'x'), Buffer.from(VECTOR.appId)])
  }
  const padded = (plain: Buffer, pad: number, fill = pad) => Buffer.concat([plain, Buffer.alloc(pad, fill)])

  it.each([
    ['pad 17', 9, 17],
    ['pad 32', 26, 32],
  ])('accepts 32-byte-block PKCS#7 (%s), which a 16-byte unpadder would refuse', (_name, n, pad) => {
    const opened = decryptMessage(sealRaw(padded(framed(n), pad)), VECTOR.encodingAesKey)
    expect(opened).toEqual({ message: Buffer.alloc(n, 'x'), receiveId: VECTOR.appId })
  })

  it.each([
    ['pad 0', () => sealRaw(padded(framed(26), 32, 0))],
    ['pad 33', () => sealRaw(padded(framed(26), 32, 33))],
    ['inconsistent pad bytes', () => sealRaw(Buffer.concat([framed(9), Buffer.alloc(16), Buffer.from([17])]))],
    ['truncated base64', () => VECTOR.encrypt.slice(0, -3)],
    ['not a whole block', () => Buffer.from(VECTOR.encrypt, 'base64').subarray(0, 40).toString('base64')],
    ['a length past the end', () => sealRaw(padded(Buffer.concat([Buffer.from(VECTOR.random), Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(12)]), 32))],
  ])('refuses %s', (_name, make) => {
    expect(() => decryptMessage(make(), VECTOR.encodingAesKey)).toThrow(WeChatCryptoError)
  })
})

describe('message builders', () => {
  it('keeps any text intact through CDATA, and makes 64-bit MsgIds that a float would mangle', () => {
    const oa = fake.officialAccount()
    const ann = oa.user('ann')
    const tricky = '订单 <b>&amp; "quotes" ]]> and ]]]]> 🙂'
    const message = oa.messages.text(ann, tricky)
    expect(xml.parse(message.xml).xml.Content).toBe(tricky)
    const ids = Array.from({ length: 50 }, () => oa.messages.text(ann, 'x').msgId!)
    expect(new Set(ids).size).toBe(50)
    for (const id of ids) {
      expect(id).toMatch(/^\d+$/)
      expect(BigInt(id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true)
    }
  })

  it('builds every kind WeChat sends; events carry no MsgId; WeCom messages name their agent', () => {
    const oa = fake.officialAccount({ originalId: 'gh_0123456789ab' })
    const ann = oa.user('ann')
    const fields = (m: { xml: string }) => xml.parse(m.xml).xml as Record<string, string>
    expect(fields(oa.messages.image(ann))).toMatchObject({ MsgType: 'image', ToUserName: 'gh_0123456789ab', FromUserName: ann })
    expect(fields(oa.messages.voice(ann, { recognition: '我要退货' }))).toMatchObject({ MsgType: 'voice', Format: 'amr', Recognition: '我要退货' })
    expect(fields(oa.messages.video(ann, { short: true })).MsgType).toBe('shortvideo')
    expect(fields(oa.messages.location(ann, { x: 23.134521, y: 113.358803, label: '广州' }))).toMatchObject({ Location_X: '23.134521', Scale: '15', Label: '广州' })
    expect(fields(oa.messages.link(ann, { title: 'Order', url: 'https://example.com' })).Url).toBe('https://example.com')
    const click = oa.messages.event(ann, 'CLICK', { key: 'MENU_HUMAN' })
    expect(fields(click)).toMatchObject({ MsgType: 'event', Event: 'CLICK', EventKey: 'MENU_HUMAN' })
    expect(click.msgId).toBeUndefined()
    expect(click.xml).not.toContain('MsgId')
    expect(fields(oa.messages.unknown(ann, 'miniprogrampage', { Title: 'x' })).MsgType).toBe('miniprogrampage')

    const wecom = fake.wecomApp({ corpId: 'ww1234567890abcdef', agentId: 1000005 })
    expect(fields(wecom.messages.text(wecom.user('ZhangSan'), 'hi'))).toMatchObject({ ToUserName: 'ww1234567890abcdef', FromUserName: 'ZhangSan', AgentID: '1000005' })
  })

  it('gives each user a stable id: an openid per account, a userid per corp', () => {
    const first = fake.officialAccount()
    const second = fake.officialAccount()
    expect(first.user('ann')).toBe(first.user('ann'))
    expect(first.user('ann')).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(second.user('ann')).not.toBe(first.user('ann'))
    expect(fake.wecomApp().user('li.lei')).toBe('li.lei')
  })
})

describe('access tokens', () => {
  it('a new OA token replaces the old one after the overlap; expiry answers 42001', async () => {
    const oa = fake.officialAccount()
    const ann = oa.user('ann')
    oa.interact(ann)
    const first = await api('/cgi-bin/token', { grant_type: 'client_credential', appid: oa.appId, secret: oa.appSecret })
    expect(first).toEqual({ access_token: expect.any(String), expires_in: 7200 })
    expect(first.access_token.length).toBeGreaterThanOrEqual(150)
    const second = await oaToken(oa)
    expect(second).not.toBe(first.access_token)
    expect((await sendText(first.access_token, ann, 'still fine')).errcode).toBe(0)

    fake.advanceClock(5 * 60_000 + 1)
    const stale = await sendText(first.access_token, ann, 'too late')
    expect(stale.errcode).toBe(40001)
    expect(stale.errmsg).toMatch(/^invalid credential.* rid: /)
    expect((await sendText(second, ann, 'the new one works')).errcode).toBe(0)

    const stable = await api('/cgi-bin/stable_token', {}, { grant_type: 'client_credential', appid: oa.appId, secret: oa.appSecret })
    expect(stable.access_token).toBe(second)

    fake.expireTokens()
    expect((await sendText(second, ann, 'expired')).errcode).toBe(42001)
    expect(oa.tokensIssued).toBe(3)
    expect(fake.textsTo(ann)).toEqual(['still fine', 'the new one works'])
  })

  it('refuses wrong credentials with WeChat’s codes; WeCom returns the same token while it lives', async () => {
    const oa = fake.officialAccount()
    const token = (query: Record<string, string>) => api('/cgi-bin/token', query)
    expect((await token({ grant_type: 'client_credential', appid: oa.appId, secret: 'wrong' })).errcode).toBe(40125)
    expect((await token({ grant_type: 'client_credential', appid: 'wx0000000000000000', secret: oa.appSecret })).errcode).toBe(40013)
    expect((await token({ grant_type: 'password', appid: oa.appId, secret: oa.appSecret })).errcode).toBe(40002)
    expect(fake.callsTo('token')[0]!.params.secret).toBe('<redacted>')

    const wecom = fake.wecomApp()
    const first = await api('/cgi-bin/gettoken', { corpid: wecom.corpId, corpsecret: wecom.corpSecret })
    expect(first).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 })
    expect((await api('/cgi-bin/gettoken', { corpid: wecom.corpId, corpsecret: wecom.corpSecret })).access_token).toBe(first.access_token)
    expect((await api('/cgi-bin/gettoken', { corpid: wecom.corpId, corpsecret: 'nope' })).errcode).toBe(40001)
    const bogus = await api('/cgi-bin/message/send', { access_token: 'bogus' }, { touser: 'x', msgtype: 'text', agentid: wecom.agentId, text: { content: 'hi' } })
    expect(bogus.errcode).toBe(40014)
    expect(bogus.errmsg).toContain('more info at https://open.work.weixin.qq.com/devtool/query?e=40014')
  })
})

describe('the customer-service API and its quota ledger', () => {
  it('allows 5 sends in 48 h after a user message, 3 a minute after a click, none after an unfollow', async () => {
    const oa = fake.officialAccount()
    const ann = oa.user('ann')
    // Tokens live two hours; the clock jumps further, so each send fetches one first.
    const send = async (content: string) => (await sendText(await oaToken(oa), ann, content)).errcode
    expect(await send('unprompted')).toBe(45015)

    oa.interact(ann, 'message')
    const codes = []
    for (let i = 1; i <= 6; i++) codes.push(await send(`reply ${i}`))
    expect(codes).toEqual([0, 0, 0, 0, 0, 45047])
    oa.interact(ann, 'message')
    expect(await send('a new message resets the count')).toBe(0)
    fake.advanceClock(48 * 3600_000)
    expect(await send('two days later')).toBe(45015)

    oa.interact(ann, 'click')
    expect([await send('menu 1'), await send('menu 2'), await send('menu 3'), await send('menu 4')]).toEqual([0, 0, 0, 45047])
    fake.advanceClock(60_000)
    expect(await send('a minute later')).toBe(45015)

    oa.interact(ann, 'message')
    expect(await send('before the unfollow')).toBe(0)
    stub = await startStub(() => ({ body: 'success' }))
    await oa.deliver(oa.messages.event(ann, 'unsubscribe'), { url: stub.url })
    expect(await send('after the unfollow')).toBe(45015)
    await oa.deliver(oa.messages.event(ann, 'subscribe'), { url: stub.url })
    expect(await send('welcome back')).toBe(0)
  })

  it('checks what is sent: empty and oversized text, unknown users and types, broken JSON', async () => {
    const oa = fake.officialAccount()
    const token = await oaToken(oa)
    const ann = oa.user('ann')
    oa.interact(ann)
    expect((await sendText(token, ann, '')).errcode).toBe(44004)
    // 683 CJK characters are 2049 bytes: WeChat counts bytes.
    expect((await sendText(token, ann, '好'.repeat(683))).errcode).toBe(45002)
    expect((await sendText(token, ann, '好'.repeat(682))).errcode).toBe(0)
    expect((await sendText(token, 'oNobodyKnowsThisOpenid000000', 'hi')).errcode).toBe(40003)
    expect((await api('/cgi-bin/message/custom/send', { access_token: token }, { touser: ann, msgtype: 'telepathy' })).errcode).toBe(40008)
    expect((await api('/cgi-bin/message/custom/send', { access_token: token }, '{"touser":')).errcode).toBe(47001)
    expect((await api('/cgi-bin/message/custom/send', {}, { touser: ann, msgtype: 'text', text: { content: 'hi' } })).errcode).toBe(41001)
    const menu = { head_content: 'Pick one', list: [{ id: '1', content: 'Refund' }], tail_content: '' }
    expect((await api('/cgi-bin/message/custom/send', { access_token: token }, { touser: ann, msgtype: 'msgmenu', msgmenu: menu })).errcode).toBe(0)
    expect((await api('/cgi-bin/message/custom/typing', { access_token: token }, { touser: ann, command: 'Typing' })).errcode).toBe(0)
    expect(fake.typing).toMatchObject([{ user: ann, command: 'Typing' }])
    expect(fake.messagesTo(ann).map((m) => m.msgtype)).toEqual(['text', 'msgmenu'])
  })

  it('lets quotas be switched off for long split replies', async () => {
    const relaxed = await startFakeWeChat({ quotas: false })
    try {
      const oa = relaxed.officialAccount()
      const token = await oaToken(oa, relaxed)
      const ann = oa.user('ann')
      oa.interact(ann)
      for (let i = 0; i < 8; i++) {
        const sent = await api('/cgi-bin/message/custom/send', { access_token: token }, { touser: ann, msgtype: 'text', text: { content: `part ${i}` } }, relaxed)
        expect(sent.errcode).toBe(0)
      }
      expect(relaxed.textsTo(ann)).toHaveLength(8)
    } finally {
      await relaxed.close()
    }
  })

  it('sends WeCom app messages with agentid checks and invaliduser, and serves media it issued', async () => {
    const wecom = fake.wecomApp()
    const token = (await api('/cgi-bin/gettoken', { corpid: wecom.corpId, corpsecret: wecom.corpSecret })).access_token
    const lei = wecom.user('li.lei')
    const send = (body: Record<string, unknown>) => api('/cgi-bin/message/send', { access_token: token }, { msgtype: 'text', agentid: wecom.agentId, text: { content: '您好' }, ...body })
    expect(await send({ touser: `${lei}|ghost` })).toMatchObject({ errcode: 0, errmsg: 'ok', invaliduser: 'ghost', msgid: expect.any(String) })
    expect((await send({ touser: lei, agentid: wecom.agentId + 1 })).errcode).toBe(301002)
    expect((await send({ touser: lei, text: { content: 'x'.repeat(2049) } })).errcode).toBe(45002)
    expect((await send({ touser: 'ghost' })).errcode).toBe(81013)
    expect(wecom.textsTo(lei)).toEqual(['您好'])

    const image = wecom.messages.image(lei)
    const mediaId = xml.parse(image.xml).xml.MediaId as string
    const media = await fetch(`${fake.apiRoot}/cgi-bin/media/get?access_token=${token}&media_id=${mediaId}`)
    expect(media.headers.get('content-type')).toBe('image/jpeg')
    expect(Buffer.from(await media.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8')
    const other = fake.officialAccount()
    expect((await api('/cgi-bin/media/get', { access_token: await oaToken(other), media_id: mediaId })).errcode).toBe(40007)
  })
})

describe('faults', () => {
  it('answers an injected errcode once, then behaves', async () => {
    const oa = fake.officialAccount()
    const token = await oaToken(oa)
    const ann = oa.user('ann')
    oa.interact(ann)
    fake.fault({ path: 'custom/send', user: ann, errcode: -1 })
    fake.fault({ path: 'custom/send', status: 502 })
    expect(await sendText(token, ann, 'busy')).toMatchObject({ errcode: -1, errmsg: expect.stringMatching(/^system error/) })
    const proxy = await fetch(`${fake.apiRoot}/cgi-bin/message/custom/send?access_token=${token}`, { method: 'POST', body: JSON.stringify({ touser: ann, msgtype: 'text', text: { content: 'x' } }) })
    expect(proxy.status).toBe(502)
    expect((await sendText(token, ann, 'fine')).errcode).toBe(0)
    expect(fake.callsTo('custom/send').map((c) => c.fault ?? c.errcode)).toEqual(['errcode', 'status', 0])
    expect(fake.textsTo(ann)).toEqual(['fine'])
  })

  it('holds a hung call until released, performing nothing; a dropped call is performed but never answered', async () => {
    const oa = fake.officialAccount()
    const token = await oaToken(oa)
    const ann = oa.user('ann')
    oa.interact(ann)
    fake.fault({ method: 'custom/send', hang: true })
    const hung = sendText(token, ann, 'held').catch((error: unknown) => error)
    await fake.waitFor(() => fake.callsTo('custom/send').some((c) => c.fault === 'hang'))
    expect(fake.releaseHeld()).toBe(1)
    expect(await hung).toBeInstanceOf(Error)

    fake.fault({ path: 'custom/send', drop: true })
    expect(await sendText(token, ann, 'dropped').catch((error: unknown) => error)).toBeInstanceOf(Error)
    expect(fake.textsTo(ann)).toEqual(['dropped'])
  })

  it('counts the connections a client holds, down to zero once it lets go', async () => {
    const oa = fake.officialAccount()
    const agent = new Agent({ keepAlive: true })
    await new Promise<void>((resolve) => request(`${fake.apiRoot}/cgi-bin/token?grant_type=client_credential&appid=${oa.appId}&secret=${oa.appSecret}`, { agent }, (res) => res.resume().on('end', resolve)).end())
    expect(fake.openConnections()).toBe(1)
    agent.destroy()
    await fake.waitFor(() => fake.openConnections() === 0)
  })
})

describe('the deliverer: WeChat calling the gateway', () => {
  it('retries a silent endpoint three times with the same bytes, then shows the banner', async () => {
    const oa = fake.officialAccount()
    stub = await startStub(() => 'hang')
    const outcome = await oa.deliver(oa.messages.text(oa.user('ann'), '在吗？'), { url: stub.url })
    expect(outcome).toMatchObject({ accepted: false, outcome: 'no-answer', bannerShown: true, status: 'timeout' })
    expect(outcome.attempts).toHaveLength(4)
    expect(stub.received).toHaveLength(4)
    expect(new Set(stub.received.map((r) => `${r.url.search}\n${r.body}`)).size).toBe(1)
    expect(outcome.attempts.map((a) => a.status)).toEqual(['timeout', 'timeout', 'timeout', 'timeout'])
  })

  it('retries a non-200 and stops at the first 200; retries: false sends once', async () => {
    const oa = fake.officialAccount()
    stub = await startStub((_request, index) => (index === 0 ? { status: 500, body: 'oops' } : { body: 'success' }))
    const outcome = await oa.deliver(oa.messages.text(oa.user('ann'), 'hi'), { url: stub.url })
    expect(outcome).toMatchObject({ accepted: true, outcome: 'success', bannerShown: false, status: 200 })
    expect(outcome.attempts.map((a) => a.status)).toEqual([500, 200])

    const once = await oa.deliver(oa.messages.text(oa.user('ann'), 'hi'), { url: stub.url, credentials: 'forged', retries: false })
    expect(once.attempts).toHaveLength(1)
  })

  it('shows the banner for JSON, a lost To/From swap, and a plaintext reply in safe mode; empty is fine', async () => {
    const oa = fake.officialAccount({ mode: 'plain' })
    const ann = oa.user('ann')
    const answers = ['{"reply":"hi"}', textReply(oa.originalId, ann, 'swapped wrong'), textReply(ann, oa.originalId, 'not encrypted'), '']
    const modes = ['plain', 'plain', 'safe', 'plain'] as const
    stub = await startStub((_request, index) => ({ body: answers[index]! }))
    const outcomes = []
    for (let i = 0; i < answers.length; i++) outcomes.push(await oa.deliver(oa.messages.text(ann, `q${i}`), { url: stub.url, mode: modes[i] }))
    expect(outcomes.map((o) => [o.outcome, o.bannerShown])).toEqual([
      ['invalid', true],
      ['invalid', true],
      ['invalid', true],
      ['empty', false],
    ])
    expect(outcomes.map((o) => o.problem)).toEqual([expect.stringMatching(/^not well-formed XML/), expect.stringMatching(/^ToUserName/), 'a plaintext reply where an encrypted one is required', undefined])
    expect(outcomes.every((o) => o.attempts.length === 1)).toBe(true)
    expect(fake.textsTo(ann)).toEqual([])
  })

  it('in safe mode sends only ToUserName and Encrypt, signed, and accepts an encrypted passive reply', async () => {
    const oa = fake.officialAccount()
    const ann = oa.user('ann')
    stub = await startStub((request) => {
      const opened = openCallback(oa, request)
      return { body: sealReply(oa, textReply(opened.fields.FromUserName!, opened.fields.ToUserName!, `echo: ${opened.fields.Content}`)) }
    })
    const outcome = await oa.deliver(oa.messages.text(ann, '我的订单 & <发货>'), { url: stub.url })
    expect(outcome).toMatchObject({ accepted: true, outcome: 'passive-reply', passive: { msgType: 'text', text: 'echo: 我的订单 & <发货>', encrypted: true } })
    expect(fake.textsTo(ann)).toEqual(['echo: 我的订单 & <发货>'])

    const [request] = stub.received
    expect(Object.keys(xml.parse(request!.body).xml)).toEqual(['ToUserName', 'Encrypt'])
    expect([...request!.url.searchParams.keys()]).toEqual(['signature', 'timestamp', 'nonce', 'openid', 'encrypt_type', 'msg_signature'])
    expect(request!.url.searchParams.get('openid')).toBe(ann)
    expect(signedOver(oa, request!)).toBe(true)
    expect(openCallback(oa, request!).receiveId).toBe(oa.appId)
  })

  it('rejects a passive reply whose MsgSignature does not verify', async () => {
    const oa = fake.officialAccount()
    const ann = oa.user('ann')
    stub = await startStub(() => ({ body: sealReply(oa, textReply(ann, oa.originalId, 'hi'), { token: 'not-the-token' }) }))
    const outcome = await oa.deliver(oa.messages.text(ann, 'hi'), { url: stub.url })
    expect(outcome).toMatchObject({ outcome: 'invalid', bannerShown: true, problem: 'the MsgSignature does not verify' })
  })

  it('sends plain and compat modes, and the bad credentials and tampering it is asked for', async () => {
    const oa = fake.officialAccount({ mode: 'plain' })
    const ann = oa.user('ann')
    stub = await startStub(() => ({ body: 'success' }))
    const url = stub.url
    await oa.deliver(oa.messages.text(ann, 'plain'), { url })
    await oa.deliver(oa.messages.text(ann, 'compat'), { url, mode: 'compat' })
    await oa.deliver(oa.messages.text(ann, 'missing'), { url, credentials: 'missing' })
    await oa.deliver(oa.messages.text(ann, 'forged'), { url, credentials: 'forged', mode: 'safe' })
    await oa.deliver(oa.messages.text(ann, 'body'), { url, tamper: 'body', mode: 'safe' })
    await oa.deliver(oa.messages.text(ann, 'appid'), { url, tamper: 'appid', mode: 'safe' })
    const [plain, compat, missing, forged, body, appid] = stub.received
    const signatureOk = (r: Received) => r.url.searchParams.get('signature') === wechatSignature(oa.token, r.url.searchParams.get('timestamp')!, r.url.searchParams.get('nonce')!)

    expect(xml.parse(plain!.body).xml.Content).toBe('plain')
    expect(plain!.url.searchParams.has('encrypt_type')).toBe(false)
    expect(signatureOk(plain!)).toBe(true)
    expect(xml.parse(compat!.body).xml).toMatchObject({ Content: 'compat', Encrypt: expect.any(String) })
    expect(signedOver(oa, compat!)).toBe(true)
    expect(openCallback(oa, compat!).fields.Content).toBe('compat')
    expect(missing!.url.searchParams.has('signature')).toBe(false)
    expect(signatureOk(forged!)).toBe(false)
    expect(signedOver(oa, forged!)).toBe(false)
    expect(signatureOk(body!)).toBe(true)
    expect(signedOver(oa, body!)).toBe(false)
    expect(signedOver(oa, appid!)).toBe(true)
    expect(openCallback(oa, appid!)).toMatchObject({ receiveId: expect.stringMatching(/^wx[0-9a-f]{16}$/), fields: { Content: 'appid' } })
    expect(openCallback(oa, appid!).receiveId).not.toBe(oa.appId)
  })

  it('delivers WeCom callbacks encrypted with only msg_signature, and verifies URLs both ways', async () => {
    const wecom = fake.wecomApp()
    const oa = fake.officialAccount()
    stub = await startStub((request) => {
      const q = request.url.searchParams
      if (request.method === 'GET' && q.has('msg_signature')) return { body: decryptMessage(q.get('echostr')!, wecom.encodingAesKey).message.toString('utf8') }
      if (request.method === 'GET') return { body: q.get('signature') === wechatSignature(oa.token, q.get('timestamp')!, q.get('nonce')!) ? q.get('echostr')! : 'forbidden' }
      return { body: 'success' }
    })
    expect(await wecom.verifyUrl(stub.url)).toMatchObject({ ok: true, status: 200 })
    expect(await oa.verifyUrl(stub.url)).toMatchObject({ ok: true, status: 200 })
    expect(await oa.verifyUrl(stub.url, { credentials: 'forged' })).toMatchObject({ ok: false, body: 'forbidden' })

    const outcome = await wecom.deliver(wecom.messages.text(wecom.user('li.lei'), 'hi'), { url: stub.url, mode: 'plain' })
    expect(outcome.outcome).toBe('success')
    const request = stub.received.at(-1)!
    expect([...request.url.searchParams.keys()]).toEqual(['msg_signature', 'timestamp', 'nonce'])
    expect(Object.keys(xml.parse(request.body).xml)).toEqual(['ToUserName', 'Encrypt', 'AgentID'])
    expect(signedOver(wecom, request)).toBe(true)
    expect(openCallback(wecom, request)).toMatchObject({ receiveId: wecom.corpId, fields: { Content: 'hi', AgentID: String(wecom.agentId) } })
  })

  it('sends hand-made requests and raw XML as they are, signed when asked', async () => {
    const oa = fake.officialAccount({ mode: 'plain' })
    stub = await startStub(() => ({ status: 400, body: 'bad xml' }))
    const xxe = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>'
    const raw = await oa.post(stub.url, { query: oa.signedQuery(), body: xxe })
    expect(raw).toMatchObject({ status: 400, body: 'bad xml' })
    expect(stub.received[0]!.body).toBe(xxe)
    const outcome = await oa.deliver(callbackXml([['ToUserName', oa.originalId]]), { url: stub.url, retries: false })
    expect(outcome).toMatchObject({ accepted: false, outcome: 'invalid', status: 400 })
  })
})
