import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { randomBytes } from 'node:crypto'
import { decryptMessage, encryptMessage, randomAlphanumeric, randomDigits, wechatSignature, WeChatCryptoError } from './wechat-crypto.js'
import type { Trigger } from './wechat-ledger.js'
import type { WeChatMessage } from './wechat-messages.js'
import { cdata, parseXmlRoot, peekField, textOf, type XmlRecord } from './wechat-xml.js'
import type { AnswerKind, CallbackMode, DeliverOptions, DeliveryAttempt, DeliveryOutcome, PassiveReply, RawRequest, RawResponse, SignedQueryOptions, VerifyOptions, VerifyOutcome } from './wechat-types.js'
import type { AppRecord, WeChatWorld } from './wechat-world.js'

/** WeChat tries once and retries three times. */
const RETRIES = 3
/** WeCom wants the URL verification answered within 1 s. */
const WECOM_VERIFY_MS = 1000
const MAX_REPLY_TEXT_BYTES = 2048
const REPLY_TYPES = new Set(['text', 'image', 'voice', 'video', 'music', 'news', 'transfer_customer_service'])
const MEDIA_REPLIES: Record<string, string> = { image: 'Image', voice: 'Voice', video: 'Video' }
/** Which passive replies an OA accepts in each callback mode. */
const REPLY_ENCRYPTION = { plain: 'never', compat: 'either', safe: 'always' } as const

const seconds = () => Math.floor(Date.now() / 1000)
const sameOrigin = (id: string) => `${id.slice(0, 2)}${randomBytes(8).toString('hex')}`

/** One HTTP exchange with a deadline: at the deadline the connection is cut, as WeChat does. */
export function httpExchange(world: WeChatWorld, target: string, request: RawRequest): Promise<RawResponse> {
  const started = performance.now()
  return new Promise((resolve) => {
    const url = new URL(target)
    const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8')
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.append(name, value)
    const headers: Record<string, string | number> = { ...(body ? { 'content-type': 'text/xml', 'content-length': body.length } : {}), ...request.headers }
    const latency = () => Math.round(performance.now() - started)
    let settled = false
    const done = (response: Omit<RawResponse, 'latencyMs'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      world.outgoing.delete(req)
      resolve({ ...response, latencyMs: latency() })
    }
    const failed = (error: NodeJS.ErrnoException) => done({ status: error.code ?? error.message, body: '', headers: {} })
    const cut = () => done({ status: 'ECONNRESET', body: '', headers: {} })
    let answered = false
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: request.method ?? 'POST', headers, agent: false }, (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }))
      res.on('error', failed)
      res.on('close', () => res.complete || cut())
    })
    const timer = setTimeout(() => {
      done({ status: 'timeout', body: '', headers: {} })
      req.destroy()
    }, request.timeoutMs ?? world.deadlineMs)
    world.outgoing.add(req)
    req.on('error', failed)
    req.on('close', () => answered || cut())
    req.end(body)
  })
}

/** The query WeChat puts on a callback; `missing` leaves the signatures out, `forged` signs with another token. */
export function signedQuery(app: AppRecord, options: SignedQueryOptions = {}): Record<string, string> {
  const timestamp = String(options.timestamp ?? seconds())
  const nonce = options.nonce ?? randomDigits(10)
  const token = options.credentials === 'forged' ? randomAlphanumeric(app.token.length || 16) : app.token
  const signed = options.credentials !== 'missing'
  if (app.kind === 'wecom') {
    const msgSignature: Record<string, string> = signed && options.encrypt !== undefined ? { msg_signature: wechatSignature(token, timestamp, nonce, options.encrypt) } : {}
    return { ...msgSignature, timestamp, nonce }
  }
  return {
    ...(signed ? { signature: wechatSignature(token, timestamp, nonce) } : {}),
    timestamp,
    nonce,
    ...(options.openid !== undefined ? { openid: options.openid } : {}),
    ...(options.encrypt !== undefined ? { encrypt_type: 'aes', ...(signed ? { msg_signature: wechatSignature(token, timestamp, nonce, options.encrypt) } : {}) } : {}),
  }
}

/** The GET WeChat sends when a callback URL is saved; the gateway must echo the (decrypted) echostr. */
export async function verifyUrl(world: WeChatWorld, app: AppRecord, url: string, options: VerifyOptions = {}): Promise<VerifyOutcome> {
  const expected = randomDigits(19)
  let query: Record<string, string>
  if (app.kind === 'wecom') {
    const echostr = encryptMessage(expected, app.encodingAesKey, app.receiveId)
    query = { ...signedQuery(app, { ...options, encrypt: echostr }), echostr }
  } else {
    query = { ...signedQuery(app, options), echostr: expected }
  }
  const response = await httpExchange(world, url, { method: 'GET', query, headers: {} })
  const late = app.kind === 'wecom' && response.latencyMs > WECOM_VERIFY_MS
  const problem =
    response.status !== 200
      ? `answered ${response.status}`
      : response.body !== expected
        ? `answered ${JSON.stringify(response.body.slice(0, 80))}, not the echostr verbatim`
        : late
          ? `answered after ${response.latencyMs} ms; WeCom waits 1 s`
          : undefined
  return { ok: problem === undefined, status: response.status, body: response.body, expected, latencyMs: response.latencyMs, ...(problem ? { problem } : {}) }
}

/** What WeChat knows of a callback whatever the gateway answers: who acted, and how. */
type UserAction = Pick<WeChatMessage, 'from' | 'msgType' | 'event'>

function triggerOf(message: UserAction): Trigger | 'unsubscribe' | undefined {
  if (message.msgType !== 'event') return 'message'
  switch (message.event) {
    case 'subscribe':
      return 'subscribe'
    case 'unsubscribe':
      return 'unsubscribe'
    case 'CLICK':
    case 'VIEW':
      return 'click'
    case 'SCAN':
      return 'scan'
    default:
      return undefined
  }
}

function recordUserAction(app: AppRecord, message: UserAction): void {
  if (!app.users.has(message.from)) app.users.set(message.from, message.from)
  const trigger = triggerOf(message)
  if (trigger === 'unsubscribe') app.ledger?.unsubscribe(message.from)
  else if (trigger) app.ledger?.interact(message.from, trigger)
}

function flipOneCharacter(base64: string): string {
  const at = Math.floor(base64.length / 2)
  return `${base64.slice(0, at)}${base64[at] === 'A' ? 'B' : 'A'}${base64.slice(at + 1)}`
}

/** The bytes and query of one callback, identical on every attempt. */
function buildCallback(app: AppRecord, mode: CallbackMode, plaintext: Buffer, from: string | undefined, options: DeliverOptions) {
  const base = { timestamp: options.timestamp ?? seconds(), nonce: options.nonce ?? randomDigits(10), credentials: options.credentials ?? 'valid', ...(from !== undefined && app.kind !== 'wecom' ? { openid: from } : {}) }
  if (app.kind !== 'wecom' && mode === 'plain') {
    const body = options.tamper === 'body' ? Buffer.from(tamperPlain(plaintext.toString('utf8')), 'utf8') : plaintext
    return { query: signedQuery(app, base), body }
  }
  const encrypt = encryptMessage(plaintext, app.encodingAesKey, options.tamper === 'appid' ? sameOrigin(app.receiveId) : app.receiveId)
  const query = signedQuery(app, { ...base, encrypt })
  const sent = cdata(options.tamper === 'body' ? flipOneCharacter(encrypt) : encrypt)
  if (app.kind === 'wecom') return { query, body: Buffer.from(`<xml><ToUserName>${cdata(app.accountId)}</ToUserName><Encrypt>${sent}</Encrypt><AgentID>${cdata(String(app.agentId))}</AgentID></xml>`) }
  if (mode === 'safe') return { query, body: Buffer.from(`<xml>\n    <ToUserName>${cdata(app.accountId)}</ToUserName>\n    <Encrypt>${sent}</Encrypt>\n</xml>`) }
  // Compat mode sends the plaintext fields and their encryption side by side.
  const end = plaintext.lastIndexOf('</xml>')
  const head = end < 0 ? plaintext : plaintext.subarray(0, end)
  return { query, body: Buffer.concat([head, Buffer.from(`<Encrypt>${sent}</Encrypt></xml>`)]) }
}

function tamperPlain(xml: string): string {
  return /<Content><!\[CDATA\[/.test(xml) ? xml.replace(/<Content><!\[CDATA\[/, '$&tampered: ') : xml.replace('</xml>', '<Tampered>1</Tampered></xml>')
}

/**
 * Delivers one callback like WeChat: sign, encrypt, POST; no full answer within the deadline (or,
 * any non-200) cuts the connection and re-sends the same bytes, three retries in all; then judges
 * the final answer as the user would experience it.
 */
export async function deliverCallback(world: WeChatWorld, app: AppRecord, mode: CallbackMode, message: WeChatMessage | string | Buffer, options: DeliverOptions): Promise<DeliveryOutcome> {
  const known = typeof message === 'object' && !Buffer.isBuffer(message) ? message : undefined
  const plaintext = known ? Buffer.from(known.xml, 'utf8') : Buffer.isBuffer(message) ? message : Buffer.from(message as string, 'utf8')
  const text = plaintext.toString('utf8')
  const from = known?.from ?? peekField(text, 'FromUserName')
  const to = known?.to ?? peekField(text, 'ToUserName')
  const genuine = (options.credentials ?? 'valid') === 'valid' && options.tamper === undefined
  const msgType = known?.msgType ?? peekField(text, 'MsgType')
  // Raw XML counts as the user's action too when it names one; forged or tampered requests never came from WeChat.
  if (genuine && from !== undefined && msgType !== undefined) recordUserAction(app, { from, msgType, event: known?.event ?? peekField(text, 'Event') })
  world.changed()

  const { query, body } = buildCallback(app, mode, plaintext, from, options)
  const attempts: DeliveryAttempt[] = []
  const tries = options.retries === false ? 1 : 1 + RETRIES
  while (attempts.length < tries && !world.isClosed()) {
    const at = Date.now()
    const response = await httpExchange(world, options.url, { method: 'POST', query, body, timeoutMs: options.deadlineMs ?? world.deadlineMs })
    attempts.push({ status: response.status, body: response.body, latencyMs: response.latencyMs, at })
    if (response.status === 200) break
  }

  const last = attempts.at(-1) ?? { status: 'closed', body: '', latencyMs: 0, at: Date.now() }
  const judged: Judgement =
    last.status === 200
      ? judgeAnswer(app, app.kind === 'wecom' ? 'always' : REPLY_ENCRYPTION[mode], { from, to }, last.body)
      : typeof last.status === 'number'
        ? { outcome: 'invalid', problem: `answered HTTP ${last.status}` }
        : { outcome: 'no-answer', problem: last.status === 'timeout' ? `no answer within ${options.deadlineMs ?? world.deadlineMs} ms` : `could not connect: ${last.status}` }
  const accepted = judged.outcome === 'success' || judged.outcome === 'empty' || judged.outcome === 'passive-reply'
  const outcome: DeliveryOutcome = {
    accepted,
    status: last.status,
    attempts,
    outcome: judged.outcome,
    bannerShown: !accepted,
    ...(judged.problem ? { problem: judged.problem } : {}),
    ...(judged.passive ? { passive: judged.passive } : {}),
    request: { url: `${options.url}?${new URLSearchParams(query)}`, body: body.toString('utf8') },
  }
  if (judged.passive && from !== undefined && genuine)
    world.sent.push({ app: app.key, user: from, msgtype: judged.passive.msgType, ...(judged.passive.text !== undefined ? { text: judged.passive.text } : {}), body: judged.passive.xml, via: 'passive', at: world.now() })
  world.deliveries.push(outcome)
  world.changed()
  return outcome
}

interface Judgement {
  outcome: AnswerKind
  problem?: string
  passive?: PassiveReply
}

const invalid = (problem: string): Judgement => ({ outcome: 'invalid', problem })

/**
 * How WeChat takes a 200 answer: `success` or nothing end the exchange; anything else must be a
 * passive reply (encrypted in safe mode and on WeCom, either way in compat mode) addressed back
 * to the sender, or the user sees the banner.
 */
export function judgeAnswer(app: AppRecord, encryption: 'never' | 'either' | 'always', sender: { from?: string; to?: string }, body: string): Judgement {
  if (body === 'success') return { outcome: 'success' }
  if (body === '') return { outcome: 'empty' }
  const outer = parseXmlRoot(body)
  if ('problem' in outer) return invalid(outer.problem)
  const encrypt = textOf(outer.root, 'Encrypt')
  if (encrypt === undefined && encryption === 'always') return invalid('a plaintext reply where an encrypted one is required')
  if (encrypt !== undefined && encryption === 'never') return invalid('an encrypted reply in plaintext mode')
  let xml = body
  let root = outer.root
  if (encrypt !== undefined) {
    const [signature, timestamp, nonce] = [textOf(root, 'MsgSignature'), textOf(root, 'TimeStamp'), textOf(root, 'Nonce')]
    if (signature === undefined || timestamp === undefined || nonce === undefined) return invalid('an encrypted reply needs MsgSignature, TimeStamp and Nonce')
    if (signature !== wechatSignature(app.token, timestamp, nonce, encrypt)) return invalid('the MsgSignature does not verify')
    try {
      const opened = decryptMessage(encrypt, app.encodingAesKey)
      if (opened.receiveId !== app.receiveId) return invalid(`the reply is encrypted for ${JSON.stringify(opened.receiveId)}`)
      xml = opened.message.toString('utf8')
    } catch (error) {
      if (error instanceof WeChatCryptoError) return invalid(`the reply does not decrypt: ${error.message}`)
      throw error
    }
    const inner = parseXmlRoot(xml)
    if ('problem' in inner) return invalid(`the decrypted reply: ${inner.problem}`)
    root = inner.root
  }
  const problem = replyProblem(root, sender)
  if (problem) return invalid(problem)
  const msgType = textOf(root, 'MsgType')!
  const mediaField = MEDIA_REPLIES[msgType]
  const mediaId = mediaField ? textOf(root[mediaField] as XmlRecord, 'MediaId') : undefined
  return {
    outcome: 'passive-reply',
    passive: { msgType, ...(msgType === 'text' ? { text: textOf(root, 'Content')! } : {}), ...(mediaId !== undefined ? { mediaId } : {}), encrypted: encrypt !== undefined, xml },
  }
}

function replyProblem(root: XmlRecord, sender: { from?: string; to?: string }): string | undefined {
  const [to, from, createTime, msgType] = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'].map((name) => textOf(root, name))
  if (sender.from !== undefined && to !== sender.from) return `ToUserName ${JSON.stringify(to)} is not the sender ${JSON.stringify(sender.from)}`
  if (sender.to !== undefined && from !== sender.to) return `FromUserName ${JSON.stringify(from)} is not the account ${JSON.stringify(sender.to)}`
  if (createTime === undefined || !/^\d+$/.test(createTime)) return 'CreateTime is not a number of seconds'
  if (msgType === undefined || !REPLY_TYPES.has(msgType)) return `MsgType ${JSON.stringify(msgType)} cannot be a passive reply`
  if (msgType === 'text') {
    const content = textOf(root, 'Content')
    if (!content) return 'a text reply without Content'
    if (Buffer.byteLength(content, 'utf8') > MAX_REPLY_TEXT_BYTES) return `Content is ${Buffer.byteLength(content, 'utf8')} bytes; WeChat takes ${MAX_REPLY_TEXT_BYTES}`
  }
  const mediaField = MEDIA_REPLIES[msgType]
  if (mediaField && !textOf(root[mediaField] as XmlRecord | undefined, 'MediaId')) return `a ${msgType} reply without ${mediaField}.MediaId`
  if (msgType === 'news' && (!/^\d+$/.test(textOf(root, 'ArticleCount') ?? '') || typeof root.Articles !== 'object')) return 'a news reply needs ArticleCount and Articles'
  return undefined
}
