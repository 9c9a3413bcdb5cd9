import type { IncomingMessage } from 'node:http'
import type { Context } from 'koa'
import { readRawBody, sbError, storableText, type ChannelContext, type ErrorDetail } from '../../core/index.js'
import { signedByTwilio, type FormParams } from './signature.js'

/** A webhook request that Twilio signed, for a call of this channel's account. */
export interface CallRequest {
  callSid: string
  from: string
  to: string
  /** The posted parameters (the first value of a repeated name), storable as they are. */
  params: Record<string, string>
}

export interface CallRequestDeps {
  accountSid: string
  /** The current auth token first, then those kept through a rotation. */
  authTokens: readonly string[]
  /** The public base URL Twilio calls (config publicUrl, without a trailing slash). */
  publicBase: string
  maxBodyBytes: number
  securityEvent: ChannelContext<unknown>['securityEvent']
  clientAddress: (request: IncomingMessage) => string
}

/** CA followed by letters and digits: it becomes an inbox id and a conversation's external id. */
const CALL_SID = /^CA[0-9A-Za-z]{1,64}$/

/**
 * Reads and verifies one Twilio webhook: a form body within the size cap, signed by the account's
 * auth token over the public URL, naming a call. Every refusal is a 4xx saying why; nothing here
 * touches the store.
 */
export async function readCallRequest(ctx: Context, deps: CallRequestDeps): Promise<CallRequest> {
  const type = ctx.get('content-type')
  const [mime, ...options] = type.split(';').map((s) => s.trim().toLowerCase())
  if (mime !== 'application/x-www-form-urlencoded') {
    ctx.set('Connection', 'close')
    const json = mime === 'application/json' ? ' (JSON webhooks signed with bodySHA256 are not supported)' : ''
    throw sbError('SB_ERR_UNSUPPORTED_MEDIA_TYPE', `the body must be application/x-www-form-urlencoded, not ${mime || 'untyped'}${json}`)
  }
  const charset = options.find((o) => o.startsWith('charset='))?.slice('charset='.length).replaceAll('"', '')
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    ctx.set('Connection', 'close')
    throw sbError('SB_ERR_UNSUPPORTED_MEDIA_TYPE', `the body must be UTF-8, not ${charset}`)
  }
  const form = parseForm(await readRawBody(ctx, deps.maxBodyBytes))
  const signature = ctx.get('x-twilio-signature') || undefined
  const signed = signedByTwilio(
    { signature, settings: ctx.get('x-twilio-webhooks-signature-settings') || undefined, url: `${deps.publicBase}${ctx.originalUrl}`, params: form },
    deps.authTokens,
  )
  if (!signed) {
    const requestId = ctx.state.requestId as string | undefined
    deps.securityEvent({
      action: 'channel.signature_invalid',
      source: deps.clientAddress(ctx.req),
      reason: signature === undefined ? 'no X-Twilio-Signature' : 'X-Twilio-Signature does not match the URL and parameters',
      ...(requestId ? { requestId } : {}),
    })
    throw sbError('SB_ERR_FORBIDDEN', 'the X-Twilio-Signature is missing or does not match this URL and these parameters')
  }
  const params = Object.fromEntries(Object.entries(form).map(([name, value]) => [name, storableText(typeof value === 'string' ? value : value[0]!)]))
  const problems: ErrorDetail[] = []
  for (const name of ['CallSid', 'AccountSid', 'From', 'To'] as const) if (!params[name]) problems.push({ path: `body.${name}`, message: 'required' })
  if (params.CallSid && !CALL_SID.test(params.CallSid)) problems.push({ path: 'body.CallSid', message: 'not a call SID (CA followed by letters and digits)' })
  if (params.AccountSid && params.AccountSid.toLowerCase() !== deps.accountSid.toLowerCase()) problems.push({ path: 'body.AccountSid', message: "not this channel's account" })
  if (problems.length > 0) throw sbError('SB_ERR_BODY_INVALID', `the request does not name a call of this account: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems)
  return { callSid: params.CallSid!, from: params.From!, to: params.To!, params }
}

/** application/x-www-form-urlencoded, as Twilio writes it; a repeated name keeps every value. */
export function parseForm(raw: Buffer): FormParams {
  // A Map, then own properties: a field named __proto__ must stay a field.
  const form = new Map<string, string | string[]>()
  for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) {
    const seen = form.get(name)
    form.set(name, seen === undefined ? value : typeof seen === 'string' ? [seen, value] : [...seen, value])
  }
  return Object.fromEntries(form)
}
