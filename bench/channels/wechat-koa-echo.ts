import { decrypt, getSignature } from '@wecom/crypto'
import { XMLParser } from 'fast-xml-parser'
import { failed } from '../ws-chat/server-control.js'
import { keepAliveAgent, postJson, readBody } from './http.js'
import { secretMatches, serveKoa, setting, WEBHOOK_PATH } from './server-kit.js'

/**
 * The floor for a WeChat Official Account in safe mode, on Koa: raw body, msg_signature checked in
 * constant time over the Encrypt field, the timestamp window, AES decryption and the appid trailer
 * (@wecom/crypto), XML parsed with fast-xml-parser (entities off, DOCTYPE refused), dedup on MsgId,
 * then `echo: <text>` posted to the customer-service API on a keep-alive agent and `success`
 * answered once that post was accepted, as the other echoes answer once their reply is out.
 */
const agent = keepAliveAgent()
const token = setting('BENCH_WECHAT_TOKEN')
const encodingAESKey = setting('BENCH_WECHAT_AES_KEY')
const appId = setting('BENCH_WECHAT_APP_ID')
const appSecret = setting('BENCH_WECHAT_APP_SECRET')
const apiRoot = setting('BENCH_API_ROOT')
const WINDOW_SECONDS = 300
/** WeChat retries for about 15 s; a MsgId is remembered well past that. */
const DEDUP_MS = 60_000

const parser = new XMLParser({ processEntities: false, parseTagValue: false, ignoreAttributes: true, ignoreDeclaration: true })
const xmlRoot = (xml: string): Record<string, unknown> | undefined => {
  if (/<!DOCTYPE/i.test(xml)) return undefined
  const root = (parser.parse(xml) as { xml?: unknown }).xml
  return typeof root === 'object' && root !== null ? (root as Record<string, unknown>) : undefined
}

const accessToken = cachedAccessToken()
await accessToken.get().catch(failed)
const seen = new Map<string, number>()

serveKoa(WEBHOOK_PATH.wechat, async (ctx) => {
  const { timestamp, nonce, msg_signature: signature } = ctx.query
  const outer = xmlRoot(await readBody(ctx.req))
  const encrypt = outer?.Encrypt
  if (typeof encrypt !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string') return refuse(ctx, 400)
  if (!secretMatches(signature, getSignature(token, timestamp, nonce, encrypt))) return refuse(ctx, 401)
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > WINDOW_SECONDS) return refuse(ctx, 401)
  const plain = decrypt(encodingAESKey, encrypt)
  if (plain.id !== appId) return refuse(ctx, 401)
  const message = xmlRoot(plain.message)
  if (!message) return refuse(ctx, 400)
  const msgId = String(message.MsgId ?? `${String(message.FromUserName)}:${String(message.CreateTime)}`)
  if (!remember(msgId)) return answer(ctx)
  if (message.MsgType === 'text') {
    try {
      await sendText(String(message.FromUserName), `echo: ${String(message.Content)}`)
    } catch (error) {
      // Not sent: WeChat's retry must find it new again.
      seen.delete(msgId)
      throw error
    }
  }
  answer(ctx)
})

function refuse(ctx: { status: number }, status: number): void {
  ctx.status = status
}

function answer(ctx: { body: unknown; type: string }): void {
  ctx.type = 'text/plain'
  ctx.body = 'success'
}

/** False when `msgId` was seen within the dedup window. */
function remember(msgId: string): boolean {
  const now = Date.now()
  // Insertion order is arrival order: the expired entries are at the front.
  for (const [id, at] of seen) {
    if (at > now - DEDUP_MS) break
    seen.delete(id)
  }
  if (seen.has(msgId)) return false
  seen.set(msgId, now)
  return true
}

async function sendText(touser: string, content: string): Promise<void> {
  const body = JSON.stringify({ touser, msgtype: 'text', text: { content } })
  for (let attempt = 0; ; attempt++) {
    const url = new URL(`${apiRoot}/cgi-bin/message/custom/send?access_token=${encodeURIComponent(await accessToken.get())}`)
    const sent = await postJson(agent, url, body)
    const { errcode } = JSON.parse(sent.body) as { errcode?: number }
    if (sent.status === 200 && errcode === 0) return
    // 40001/42001: the token was replaced or expired; fetch a new one once.
    if ((errcode === 40001 || errcode === 42001) && attempt === 0) accessToken.invalidate()
    else throw new Error(`custom/send answered ${sent.status} errcode ${errcode}`)
  }
}

/** One access_token for the process, fetched once and again ahead of its expiry or when refused. */
function cachedAccessToken() {
  let cached: { token: string; expiresAt: number } | undefined
  let pending: Promise<string> | undefined
  const fetchToken = async () => {
    const query = new URLSearchParams({ grant_type: 'client_credential', appid: appId, secret: appSecret })
    const response = await fetch(`${apiRoot}/cgi-bin/token?${query}`)
    const body = (await response.json()) as { access_token?: string; expires_in?: number; errcode?: number }
    if (!body.access_token || !body.expires_in) throw new Error(`cgi-bin/token answered errcode ${body.errcode}`)
    cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 }
    return cached.token
  }
  return {
    async get(): Promise<string> {
      if (cached && cached.expiresAt > Date.now() + 300_000) return cached.token
      pending ??= fetchToken().finally(() => (pending = undefined))
      return pending
    },
    invalidate(): void {
      cached = undefined
    },
  }
}
