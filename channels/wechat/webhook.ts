import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Context, Middleware } from 'koa'
import type { Logger } from 'pino'
import { isSwitchboardError, readRawBody, sbError, type ChannelContext, type ErrorCode } from '../../core/index.js'
import { checkUrlSignature, openCallback, Refusal, replyBody, verifiedEcho, type CallbackSecrets } from './callback-auth.js'
import { queryParams, signedParams, withinWindow, type SignedParams } from './callback-query.js'
import { decodeCallback, type DecodedCallback, type Owner } from './inbound.js'
import type { PassiveOffer, PassiveReplies } from './passive-reply.js'
import type { CallbackReceiver } from './receiver.js'
import type { ReplayGuard } from './replay-guard.js'
import { decodeUtf8, parseCallbackXml, textReplyXml, XmlRefused } from './xml.js'

export interface CallbackDeps {
  owner: Owner
  secrets: CallbackSecrets
  windowSeconds: number
  maxBodyBytes: number
  /** 0: always answer `success` at once. */
  passiveReplyWaitMs: number
  receiver: CallbackReceiver
  passive: PassiveReplies
  replay: ReplayGuard
  log: Logger
  securityEvent: ChannelContext<unknown>['securityEvent']
  clientAddress(request: IncomingMessage): string
  now?: () => number
}

/** The answer that tells WeChat "received, nothing to show": it neither retries nor shows its banner. */
const SUCCESS = 'success'
const XML_TYPES = ['text/xml', 'application/xml']

/**
 * `GET /t/<tenant>/<instance>/callback`: the URL verification WeChat runs when the callback URL
 * is saved in the console. The echostr goes back verbatim (OA) or decrypted (WeCom), as text.
 */
export function verificationHandler(deps: CallbackDeps): Middleware {
  return async (ctx) => {
    const params = queryParams(ctx.querystring)
    const signed = params && signedParams(params)
    const echostr = params?.echostr
    if (!signed || !echostr) throw sbError('SB_ERR_BODY_INVALID', 'URL verification needs timestamp, nonce, echostr and the signature')
    try {
      ensureFresh(deps, signed)
      ctx.type = 'text/plain'
      ctx.body = verifiedEcho(deps.secrets, signed, echostr)
    } catch (error) {
      throw refused(ctx, deps, error)
    }
  }
}

/**
 * `POST /t/<tenant>/<instance>/callback`: authenticate → parse → store → answer, within WeChat's
 * 5-second deadline. The answer is `success` once the message is durably in the inbox (or is one
 * the channel ignores), or the turn's first reply as a passive reply when it is ready in time.
 * Nothing is acknowledged before it is stored: a refusal to store is a 503, which WeChat retries.
 */
export function callbackHandler(deps: CallbackDeps): Middleware {
  return async (ctx) => {
    const { decoded, encrypted } = await readCallback(ctx, deps)
    if (!decoded) {
      ctx.body = SUCCESS
      return
    }
    const accepted = await deps.receiver.receive(decoded).catch((error: unknown) => {
      throw redeliverable(deps.log, error)
    })
    // A redelivery of a message already answered gets `success`; one whose turn still runs waits
    // for its reply like the first request did, and takes the wait over from it.
    const waitMs = accepted.status === 'duplicate' && accepted.done ? 0 : deps.passiveReplyWaitMs
    const offer = waitMs > 0 && ctx.writable ? await deps.passive.wait(accepted.turnId, waitMs, ctx.res) : undefined
    if (offer) answerWith(ctx, deps, offer, { decoded, encrypted })
    else ctx.body = SUCCESS
  }
}

/** The authentic callback, decoded (undefined: one the channel ignores); refusals become 400/401/413/415. */
async function readCallback(ctx: Context, deps: CallbackDeps): Promise<{ decoded?: DecodedCallback; encrypted: boolean }> {
  const params = queryParams(ctx.querystring)
  const signed = params && signedParams(params)
  try {
    if (!signed) throw new Refusal('channel.signature_missing', 'no timestamp and nonce', true)
    ensureFresh(deps, signed)
    checkUrlSignature(deps.secrets, signed)
    const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase()
    if (!XML_TYPES.includes(type)) {
      ctx.set('Connection', 'close')
      throw sbError('SB_ERR_UNSUPPORTED_MEDIA_TYPE', `a WeChat callback is text/xml, not ${type || 'untyped'}`)
    }
    const raw = await readRawBody(ctx, deps.maxBodyBytes)
    const opened = openCallback(deps.secrets, signed, parseCallbackXml(decodeUtf8(raw)))
    if (!(await deps.replay.admit(signed.timestamp, signed.nonce, createHash('sha256').update(raw).digest('base64url'))))
      throw new Refusal('channel.replay', 'this timestamp and nonce came before with another body')
    const decoded = decodeCallback(opened.record, deps.owner)
    return { ...(decoded ? { decoded } : {}), encrypted: opened.encrypted }
  } catch (error) {
    if (error instanceof XmlRefused) throw sbError('SB_ERR_BODY_INVALID', withHint(deps, error.message))
    throw refused(ctx, deps, error)
  }
}

/** Answers with the offered reply, and tells its sender once it has been written out (or not). */
function answerWith(ctx: Context, deps: CallbackDeps, offer: PassiveOffer, callback: { decoded: DecodedCallback; encrypted: boolean }): void {
  if (!ctx.writable) {
    // WeChat hung up as the reply came: nothing was written, so it goes through the API.
    offer.settle('declined')
    return
  }
  try {
    const now = (deps.now ?? Date.now)()
    const xml = textReplyXml({ to: callback.decoded.user, from: callback.decoded.account, createTime: Math.floor(now / 1000), content: offer.text })
    ctx.type = 'application/xml'
    ctx.body = replyBody(deps.secrets, xml, callback.encrypted, now)
  } catch (error) {
    offer.settle('declined')
    deps.log.error({ err: error }, 'could not build the passive reply; answering success')
    ctx.body = SUCCESS
    return
  }
  ctx.res.once('finish', () => offer.settle('sent'))
  ctx.res.once('close', () => offer.settle(ctx.res.writableFinished ? 'sent' : 'unknown'))
}

function ensureFresh(deps: CallbackDeps, signed: SignedParams): void {
  if (!withinWindow(signed.timestamp, deps.windowSeconds, (deps.now ?? Date.now)())) throw new Refusal('channel.timestamp_stale', `timestamp ${signed.timestamp} is outside the ${deps.windowSeconds}-second window`)
}

/** A refusal becomes 401 (audited, counted); anything else passes on unchanged. */
function refused(ctx: Context, deps: CallbackDeps, error: unknown): unknown {
  if (!(error instanceof Refusal)) return error
  deps.securityEvent({ action: error.action, source: deps.clientAddress(ctx.req), reason: error.message, ...(ctx.state.requestId ? { requestId: ctx.state.requestId as string } : {}) })
  // The body may be unread: it must not be taken for the next request on this connection.
  ctx.set('Connection', 'close')
  return sbError(error.missing ? 'SB_ERR_AUTH_REQUIRED' : 'SB_ERR_AUTH_INVALID', 'the callback could not be authenticated')
}

/** In plain mode an encrypted body lacks every field: most likely the console's mode changed. */
function withHint(deps: CallbackDeps, message: string): string {
  return deps.secrets.encryption === 'plain' && message.includes('FromUserName') ? `${message} (an encrypted body? set encryption to the console's mode)` : message
}

const RETRYABLE: readonly ErrorCode[] = ['SB_ERR_RATE_LIMITED', 'SB_ERR_SHUTTING_DOWN', 'SB_ERR_STORE_UNAVAILABLE']

/** Nothing was stored: answer so that WeChat delivers it again (it retries any non-200), never `success`. */
function redeliverable(log: Logger, error: unknown) {
  const known = isSwitchboardError(error) && RETRYABLE.includes(error.code) ? error : undefined
  if (!known) log.error({ err: error }, 'could not accept a WeChat callback; asking WeChat to deliver it again')
  return known ?? sbError('SB_ERR_STORE_UNAVAILABLE', 'the message could not be stored; deliver it again', [], error)
}
