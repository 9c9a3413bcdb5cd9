import { request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa from 'koa'
import pino from 'pino'
import { stringify } from 'yaml'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isSwitchboardError, sbError, Tokens, type AcceptResult } from '../../core/index.js'
import { metricValue, waitUntil } from '../../test/contract/wait.js'
import { freshPostgres, REDIS_URL, type TestDatabase } from '../../test/databases.js'
import { startFakeWeChat, type FakeOfficialAccount, type FakeWeChat, type FakeWeComApp } from '../../test/fakes/wechat.js'
import { startTestGateway, type TestGateway } from '../../test/harness/gateway.js'
import { tempConfig } from '../../test/kit/tenants.js'
import { signatureOf } from './crypto.js'
import { PassiveReplies } from './passive-reply.js'
import type { CallbackReceiver } from './receiver.js'
import { ReplayGuard } from './replay-guard.js'
import { callbackHandler } from './webhook.js'

// Two tenants on one gateway port, four WeChat apps on one fake WeChat: "shop" runs an Official
// Account in safe mode (answers by API), one in compatible mode that answers with passive replies,
// and one in plain mode; "corp" runs a WeCom app. The gateway keeps its state in PostgreSQL and
// shares tokens and nonces in Redis, as replicas in production do.
let fake: FakeWeChat
let gw: TestGateway
let config: Awaited<ReturnType<typeof tempConfig>>
let database: TestDatabase
let safe: FakeOfficialAccount
let quick: FakeOfficialAccount
let plain: FakeOfficialAccount
let corp: FakeWeComApp

const rules = {
  id: 'rules',
  type: 'rules',
  config: {
    rules: [
      { id: 'menu', pattern: '^menu$', reply: { text: 'How can we help?', options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: 'return:order=A-1009' }] } },
      { id: 'welcome', pattern: '^subscribe$', reply: '欢迎关注！' },
      { id: 'long', pattern: '^long$', reply: `${'第一段。'.repeat(150)}\n\n${'第二段。'.repeat(150)}` },
      { id: 'echo', pattern: '^([\\s\\S]*)$', reply: 'echo: $1' },
    ],
  },
}

const oaConfig = (app: FakeOfficialAccount, extra: Record<string, unknown> = {}) => ({
  transport: 'official-account',
  appId: app.appId,
  appSecret: app.appSecret,
  token: app.token,
  encodingAESKey: app.encodingAesKey,
  encryption: { safe: 'safe', compat: 'compatible', plain: 'plain' }[app.mode],
  apiRoot: fake.apiRoot,
  passiveReplyWaitMs: 0,
  ...extra,
})

beforeAll(async () => {
  fake = await startFakeWeChat({ deadlineMs: 3000 })
  safe = fake.officialAccount({ mode: 'safe' })
  quick = fake.officialAccount({ mode: 'compat' })
  plain = fake.officialAccount({ mode: 'plain' })
  corp = fake.wecomApp()
  config = await tempConfig({
    shop: stringify({
      id: 'shop',
      channels: [
        { id: 'oa', type: 'wechat', config: oaConfig(safe) },
        { id: 'quick', type: 'wechat', config: oaConfig(quick, { passiveReplyWaitMs: 2000 }) },
        { id: 'plain', type: 'wechat', config: oaConfig(plain) },
      ],
      plugins: [rules],
    }),
    corp: stringify({
      id: 'corp',
      channels: [
        {
          id: 'wecom',
          type: 'wechat',
          config: { transport: 'wecom', corpId: corp.corpId, agentId: corp.agentId, corpSecret: corp.corpSecret, token: corp.token, encodingAESKey: corp.encodingAesKey, apiRoot: fake.apiRoot, passiveReplyWaitMs: 0 },
        },
      ],
      plugins: [rules],
    }),
  })
  database = await freshPostgres()
  gw = await startTestGateway({ configDir: config.dir, databaseUrl: database.url!, env: { REDIS_URL } })
}, 60_000)

afterAll(async () => {
  await gw?.close()
  await fake?.close()
  await config?.remove()
  await database?.drop()
})

const url = (tenant: string, instance: string) => `${gw.url}/t/${tenant}/${instance}/callback`
const repliesTo = (app: { textsTo(user: string): string[] }, user: string, count = 1) => fake.waitFor(() => app.textsTo(user).length >= count && app.textsTo(user), 10_000)
const metrics = async () => (await fetch(`${gw.url}/metrics`)).text()
/** A plain-mode callback body with a valid signature on the query: for hand-made bad requests. */
const signedPost = (app: FakeOfficialAccount | FakeWeComApp, target: string, body: string | Buffer, headers?: Record<string, string>) =>
  app.post(target, { query: app.signedQuery(), body, ...(headers ? { headers } : {}) })
/** The same, encrypted and signed as WeChat does in safe mode: what is inside is authentic. */
const sealedPost = (app: FakeOfficialAccount | FakeWeComApp, target: string, xml: string) => {
  const encrypt = app.encrypt(xml)
  return app.post(target, { query: app.signedQuery({ encrypt }), body: `<xml><ToUserName><![CDATA[${app.accountId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` })
}

describe('URL verification (GET /callback)', () => {
  it('echoes the echostr verbatim for an Official Account, and the decrypted one for WeCom within its second', async () => {
    expect(await safe.verifyUrl(url('shop', 'oa'))).toMatchObject({ ok: true, status: 200 })
    expect(await corp.verifyUrl(url('corp', 'wecom'))).toMatchObject({ ok: true, status: 200 })
  })

  it('refuses a forged signature with 401 and a request missing its parameters with 400', async () => {
    expect(await safe.verifyUrl(url('shop', 'oa'), { credentials: 'forged' })).toMatchObject({ ok: false, status: 401 })
    expect(await corp.verifyUrl(url('corp', 'wecom'), { credentials: 'forged' })).toMatchObject({ ok: false, status: 401 })
    expect((await safe.post(url('shop', 'oa'), { method: 'GET' })).status).toBe(400)
  })
})

describe('an Official Account in safe mode', () => {
  it('answers success at once and the reply through the customer-service API', async () => {
    const ann = safe.user('ann')
    const outcome = await safe.deliver(safe.messages.text(ann, '你好 <&> ]]>'), { url: url('shop', 'oa') })
    expect(outcome).toMatchObject({ accepted: true, outcome: 'success', bannerShown: false })
    expect(outcome.attempts).toHaveLength(1)
    expect(await repliesTo(safe, ann)).toEqual(['echo: 你好 <&> ]]>'])
  })

  it('answers one of three redeliveries, whether sequential or concurrent', async () => {
    const bo = safe.user('bo')
    const first = safe.messages.text(bo, 'first')
    for (let i = 0; i < 3; i++) expect((await safe.deliver(first, { url: url('shop', 'oa'), retries: false })).outcome).toBe('success')
    const second = safe.messages.text(bo, 'second')
    const outcomes = await Promise.all([1, 2, 3].map(() => safe.deliver(second, { url: url('shop', 'oa'), retries: false })))
    expect(outcomes.map((o) => o.outcome)).toEqual(['success', 'success', 'success'])
    await safe.deliver(safe.messages.text(bo, 'third'), { url: url('shop', 'oa') })
    expect(await repliesTo(safe, bo, 3)).toEqual(['echo: first', 'echo: second', 'echo: third'])
  })

  it.each([
    ['no signature', { credentials: 'missing' as const }],
    ['a forged signature', { credentials: 'forged' as const }],
    ['a stale timestamp (replayed after the window)', { timestamp: Math.floor(Date.now() / 1000) - 600 }],
    ['a timestamp from the future', { timestamp: Math.floor(Date.now() / 1000) + 600 }],
    ['an Encrypt changed after signing', { tamper: 'body' as const }],
    ['a message encrypted for another appid', { tamper: 'appid' as const }],
  ])('refuses %s with 401, counts it, and runs no turn', async (_name, options) => {
    const eve = safe.user(`eve-${_name}`)
    const outcome = await safe.deliver(safe.messages.text(eve, 'sneaky'), { url: url('shop', 'oa'), retries: false, ...options })
    expect(outcome).toMatchObject({ accepted: false, status: 401 })
    expect(metricValue(await metrics(), 'switchboard_channel_requests_rejected_total', { tenant: 'shop' })).toBeGreaterThan(0)
    expect(safe.textsTo(eve)).toEqual([])
  })

  it('refuses a plaintext POST: in safe mode only the encrypted body is authentic', async () => {
    const xml = safe.messages.text(safe.user('eve'), 'plaintext').xml
    expect((await signedPost(safe, url('shop', 'oa'), xml)).status).toBe(401)
  })

  it('refuses bad padding and an absurd length inside a signed Encrypt with the same 401', async () => {
    const answers = await Promise.all(
      ['A'.repeat(43), `${safe.encrypt('<xml/>').slice(0, -4)}AAA=`].map((encrypt) =>
        safe.post(url('shop', 'oa'), { query: safe.signedQuery({ encrypt }), body: `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` }),
      ),
    )
    expect(answers.map((a) => a.status)).toEqual([401, 401])
    expect(answers[0]!.body).toBe(answers[1]!.body.replace(answers[1]!.headers['x-request-id'] as string, answers[0]!.headers['x-request-id'] as string))
  })

  it.each([
    ['XXE', '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content></xml>'],
    ['an entity bomb', '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>'],
    ['malformed XML', '<xml><Content>unclosed</xml>'],
  ])('refuses %s inside an authentic Encrypt with 400', async (_name, xml) => {
    expect((await sealedPost(safe, url('shop', 'oa'), xml)).status).toBe(400)
  })

  it('acknowledges a MsgType it does not know with success, and runs no turn', async () => {
    const cy = safe.user('cy')
    const outcome = await safe.deliver(safe.messages.unknown(cy, 'hologram', { Payload: 'x' }), { url: url('shop', 'oa') })
    expect(outcome.outcome).toBe('success')
    await safe.deliver(safe.messages.text(cy, 'after'), { url: url('shop', 'oa') })
    expect(await repliesTo(safe, cy)).toEqual(['echo: after'])
  })

  it('greets a new follower, and takes a menu click as the button’s key', async () => {
    const di = safe.user('di')
    await safe.deliver(safe.messages.event(di, 'subscribe'), { url: url('shop', 'oa') })
    await safe.deliver(safe.messages.event(di, 'CLICK', { key: 'MENU_ORDERS' }), { url: url('shop', 'oa') })
    expect(await repliesTo(safe, di, 2)).toEqual(['欢迎关注！', 'echo: MENU_ORDERS'])
  })

  it('shows a choice as a numbered list, and an answer "2" comes back as the option’s value', async () => {
    const ed = safe.user('ed')
    await safe.deliver(safe.messages.text(ed, 'menu'), { url: url('shop', 'oa') })
    expect(await repliesTo(safe, ed)).toEqual(['How can we help?\n1. Track my order\n2. Return an item'])
    await safe.deliver(safe.messages.text(ed, '2'), { url: url('shop', 'oa') })
    expect((await repliesTo(safe, ed, 2))[1]).toBe('echo: return:order=A-1009')
  })

  it('marks a reply over the user’s quota failed, audits and counts it, and sends the next one normally', async () => {
    const fay = safe.user('fay')
    fake.fault({ path: 'custom/send', user: fay, errcode: 45047, errmsg: 'out of response count limit' })
    await safe.deliver(safe.messages.text(fay, 'one'), { url: url('shop', 'oa') })
    const audit = gw.gateway.container.resolve(Tokens.Audit)
    const entries = await waitUntil(async () => {
      const found = await audit.query('shop', { action: 'channel.reply_undeliverable' })
      return found.length > 0 && found
    }, 'the undeliverable reply to be audited')
    expect(entries[0]).toMatchObject({ outcome: 'failure', actor: { type: 'channel', id: 'oa' }, details: { reason: expect.stringMatching(/^45047 out of response count limit/) } })
    const outbox = await gw.gateway.container.resolve(Tokens.Database).tenant('shop').query<{ status: string }>(
      `SELECT o.status FROM outbox o JOIN messages m ON m.id = o.id WHERE o.tenant_id = $1 AND m.text = 'echo: one'`,
      ['shop'],
    )
    expect(outbox).toEqual([{ status: 'failed' }])
    expect(metricValue(await metrics(), 'switchboard_channel_undeliverable_total', { tenant: 'shop', reason: '45047' })).toBe(1)
    expect(fake.callsTo('custom/send').filter((c) => (c.body as { touser?: string }).touser === fay)).toHaveLength(1)
    await safe.deliver(safe.messages.text(fay, 'two'), { url: url('shop', 'oa') })
    expect(await repliesTo(safe, fay)).toEqual(['echo: two'])
  })

  it('fetches a new access token when WeChat says the old one expired, and sends once with it', async () => {
    const gil = safe.user('gil')
    await safe.deliver(safe.messages.text(gil, 'warm up'), { url: url('shop', 'oa') })
    await repliesTo(safe, gil)
    const issued = safe.tokensIssued
    fake.expireTokens()
    await safe.deliver(safe.messages.text(gil, 'after expiry'), { url: url('shop', 'oa') })
    expect(await repliesTo(safe, gil, 2)).toEqual(['echo: warm up', 'echo: after expiry'])
    expect(safe.tokensIssued).toBe(issued + 1)
    const sends = fake.callsTo('custom/send').filter((c) => (c.body as { touser?: string }).touser === gil)
    expect(sends.map((c) => c.errcode)).toEqual([0, 42001, 0])
  })

  it('retries a send WeChat refused as busy after at least a second', async () => {
    const hal = safe.user('hal')
    fake.fault({ path: 'custom/send', user: hal, errcode: -1, errmsg: 'system error' })
    await safe.deliver(safe.messages.text(hal, 'busy?'), { url: url('shop', 'oa') })
    expect(await repliesTo(safe, hal)).toEqual(['echo: busy?'])
    const [refused, retried] = fake.callsTo('custom/send').filter((c) => (c.body as { touser?: string }).touser === hal)
    expect(retried!.at - refused!.at).toBeGreaterThanOrEqual(950)
  })
})

describe('bad requests at the edge', () => {
  it('answers 415 to a body that is not XML, 413 to one over the cap, and 400 to bytes that are not UTF-8', async () => {
    const target = url('shop', 'plain')
    expect((await signedPost(plain, target, '{"ToUserName":"gh"}', { 'content-type': 'application/json' })).status).toBe(415)
    expect((await signedPost(plain, target, `<xml><Content><![CDATA[${'x'.repeat(70_000)}]]></Content></xml>`)).status).toBe(413)
    expect((await signedPost(plain, target, Buffer.from('<xml><Content>caf\xe9</Content></xml>', 'latin1'))).status).toBe(400)
    expect((await signedPost(plain, target, '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>')).status).toBe(400)
    expect((await plain.post(target, { method: 'PUT', body: '<xml/>' })).status).toBe(404)
  })

  it('in plain mode, refuses a captured query string replayed with another body', async () => {
    const ivy = plain.user('ivy')
    // Hand-made requests do not open the user's 48-hour window on the fake; a real message would.
    plain.interact(ivy)
    const query = plain.signedQuery()
    const genuine = plain.messages.text(ivy, 'genuine').xml
    expect(await plain.post(url('shop', 'plain'), { query, body: genuine })).toMatchObject({ status: 200, body: 'success' })
    // WeChat's own retry repeats the bytes: accepted, answered once.
    expect(await plain.post(url('shop', 'plain'), { query, body: genuine })).toMatchObject({ status: 200, body: 'success' })
    const forged = plain.messages.text(ivy, 'refund me twice').xml
    expect((await plain.post(url('shop', 'plain'), { query, body: forged })).status).toBe(401)
    expect(await repliesTo(plain, ivy)).toEqual(['echo: genuine'])
  })
})

describe('WeCom', () => {
  it('refuses a nonce it has seen with another message within two hours', async () => {
    const target = url('corp', 'wecom')
    const nonce = `n${Date.now()}`
    const timestamp = Math.floor(Date.now() / 1000)
    const sealed = (text: string) => {
      const encrypt = corp.encrypt(corp.messages.text(corp.user('LiSi'), text).xml)
      return { query: corp.signedQuery({ encrypt, nonce, timestamp }), body: `<xml><ToUserName><![CDATA[${corp.accountId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` }
    }
    const first = sealed('first')
    expect(await corp.post(target, first)).toMatchObject({ status: 200, body: 'success' })
    expect(await corp.post(target, first)).toMatchObject({ status: 200, body: 'success' })
    expect((await corp.post(target, sealed('second'))).status).toBe(401)
    expect(await repliesTo(corp, corp.user('LiSi'))).toEqual(['echo: first'])
  })
})

describe('passive replies', () => {
  it('answers with the turn’s reply itself when it is ready in time: no API call, no quota', async () => {
    const jo = quick.user('jo')
    const outcome = await quick.deliver(quick.messages.text(jo, '查询订单'), { url: url('shop', 'quick') })
    expect(outcome).toMatchObject({ outcome: 'passive-reply', passive: { msgType: 'text', text: 'echo: 查询订单', encrypted: true }, bannerShown: false })
    expect(quick.textsTo(jo)).toEqual(['echo: 查询订单'])
    expect(fake.callsTo('custom/send').filter((c) => (c.body as { touser?: string }).touser === jo)).toEqual([])
  })

  it('sends the first message of a split reply passively and the rest through the API after it, in order', async () => {
    const kim = quick.user('kim')
    const outcome = await quick.deliver(quick.messages.text(kim, 'long'), { url: url('shop', 'quick') })
    expect(outcome.outcome).toBe('passive-reply')
    const texts = await repliesTo(quick, kim, 2)
    expect(texts.join('\n\n')).toBe(`${'第一段。'.repeat(150)}\n\n${'第二段。'.repeat(150)}`)
    expect(fake.messagesTo(kim).map((m) => m.via)).toEqual(['passive', 'custom/send'])
  })

  it('answers a plaintext callback in compatible mode with a plaintext reply', async () => {
    const nan = quick.user('nan')
    quick.interact(nan)
    const answer = await signedPost(quick, url('shop', 'quick'), quick.messages.text(nan, 'plain please').xml)
    expect(answer.status).toBe(200)
    expect(answer.body).toContain('<Content><![CDATA[echo: plain please]]></Content>')
    expect(answer.body).not.toContain('<Encrypt>')
  })

  it('answers a redelivery of an answered message with success, without answering again', async () => {
    const lu = quick.user('lu')
    const message = quick.messages.text(lu, 'once')
    expect((await quick.deliver(message, { url: url('shop', 'quick'), retries: false })).outcome).toBe('passive-reply')
    expect((await quick.deliver(message, { url: url('shop', 'quick'), retries: false })).outcome).toBe('success')
    expect(quick.textsTo(lu)).toEqual(['echo: once'])
  })
})

describe('several accounts on one port', () => {
  it('keeps an Official Account and a WeCom app of two tenants apart, each answered through its own API', async () => {
    const mo = safe.user('mo')
    const zhang = corp.user('ZhangSan')
    const [oa, wecom] = await Promise.all([
      safe.deliver(safe.messages.text(mo, 'from the OA'), { url: url('shop', 'oa') }),
      corp.deliver(corp.messages.text(zhang, '报销流程？'), { url: url('corp', 'wecom') }),
    ])
    expect([oa.outcome, wecom.outcome]).toEqual(['success', 'success'])
    expect(await repliesTo(safe, mo)).toEqual(['echo: from the OA'])
    expect(await repliesTo(corp, zhang)).toEqual(['echo: 报销流程？'])
    expect(fake.callsTo('message/send').find((c) => (c.body as { touser?: string }).touser === zhang)!.body).toMatchObject({ agentid: corp.agentId, msgtype: 'text' })
    // One app's callback at the other's URL fails its signature: each instance checks its own.
    expect((await corp.deliver(corp.messages.text(zhang, 'wrong door'), { url: url('shop', 'oa'), retries: false })).status).toBe(401)
  })
})

describe('a callback waiting for its passive reply, when WeChat moves on', () => {
  let server: Server | undefined
  afterEach(() => server?.close())

  /** The POST handler alone (plain mode), with a receiver that answers from `results` in turn. */
  async function endpoint(results: AcceptResult[]) {
    const passive = new PassiveReplies()
    const log = pino({ level: 'silent' })
    const app = new Koa()
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        ctx.status = isSwitchboardError(error) ? error.status : 500
      }
    })
    app.use(
      callbackHandler({
        owner: { tenant: 'acme', instance: 'oa', locale: 'zh-CN' },
        secrets: { transport: 'official-account', encryption: 'plain', token: 'pamtest', receiveId: 'wx1' },
        windowSeconds: 300,
        maxBodyBytes: 65_536,
        passiveReplyWaitMs: 10_000,
        receiver: {
          receive: async () => {
            const next = results.shift()
            if (!next) throw sbError('SB_ERR_INTERNAL', 'more deliveries than the test expected')
            return next
          },
        } as unknown as CallbackReceiver,
        passive,
        replay: new ReplayGuard({ ttlSeconds: 600, log }),
        log,
        securityEvent: () => {},
        clientAddress: () => '127.0.0.1',
      }),
    )
    server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server!.once('listening', resolve))
    const timestamp = String(Math.floor(Date.now() / 1000))
    const query = `timestamp=${timestamp}&nonce=42&signature=${signatureOf('pamtest', timestamp, '42')}`
    const body = '<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1712052000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>1</MsgId></xml>'
    const post = () => {
      const req = request(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' } })
      const answer = new Promise<string>((resolve, reject) => {
        req.on('response', (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
        })
        req.on('error', reject)
      })
      req.end(body)
      return { req, answer }
    }
    return { passive, post }
  }

  const accepted: AcceptResult = { status: 'accepted', turnId: 't1', messageId: 'm1' }

  it('stops waiting when WeChat hangs up, so the reply goes through the API instead', async () => {
    const { passive, post } = await endpoint([accepted])
    const { req, answer } = post()
    answer.catch(() => undefined)
    await waitUntil(() => passive.size === 1, 'the callback to wait')
    req.destroy()
    await waitUntil(() => passive.size === 0, 'the wait to end')
    expect(passive.offer('t1', 'hi')).toBeUndefined()
  })

  it('hands the wait to a redelivery of the message: the first request answers success, the redelivery the reply', async () => {
    const { passive, post } = await endpoint([accepted, { status: 'duplicate', turnId: 't1', messageId: 'm1', done: false }])
    const first = post()
    await waitUntil(() => passive.size === 1, 'the first request to wait')
    const second = post()
    expect(await first.answer).toBe('success')
    await waitUntil(() => passive.size === 1, 'the redelivery to wait')
    const written = passive.offer('t1', '您好')!
    expect(await second.answer).toContain('<Content><![CDATA[您好]]></Content>')
    expect(await written).toBe('sent')
  })
})
