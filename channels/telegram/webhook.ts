import type { IncomingMessage } from 'node:http'
import type { Middleware } from 'koa'
import type { Update } from 'telegraf/types'
import { parseWebhookJson, readRawBody, sbError, type ChannelContext } from '../../core/index.js'
import { WireUpdate } from './inbound.js'
import type { UpdateReceiver } from './receiver.js'
import { secretAccepted } from './secret.js'

export interface WebhookDeps {
  /** The current secret first, then those still accepted after a rotation. */
  secrets: readonly string[]
  maxBodyBytes: number
  receiver: UpdateReceiver
  securityEvent: ChannelContext<unknown>['securityEvent']
  clientAddress: (request: IncomingMessage) => string
}

/**
 * POST /t/<tenant>/<instance>/webhook: verify → parse → dispatch. The answer is 200 only once the
 * update is durably in the inbox (or is one we ignore); a refusal is a status Telegram retries.
 * Nothing authentic and well-formed ever gets a 4xx, since Telegram would retry it for a day.
 */
export function webhookHandler(deps: WebhookDeps): Middleware {
  return async (ctx) => {
    const requestId = ctx.state.requestId as string | undefined
    const presented = ctx.get('x-telegram-bot-api-secret-token') || undefined
    // First, before a byte of the body is read: the secret is Telegram's only credential.
    if (!secretAccepted(presented, deps.secrets)) {
      deps.securityEvent({
        action: 'channel.secret_invalid',
        source: deps.clientAddress(ctx.req),
        reason: presented === undefined ? 'no X-Telegram-Bot-Api-Secret-Token' : 'wrong X-Telegram-Bot-Api-Secret-Token',
        ...(requestId ? { requestId } : {}),
      })
      // The unread body must not be taken for the next request on this connection.
      ctx.set('Connection', 'close')
      throw sbError('SB_ERR_FORBIDDEN', 'the secret token is missing or wrong')
    }
    const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase()
    if (type !== 'application/json') {
      ctx.set('Connection', 'close')
      throw sbError('SB_ERR_UNSUPPORTED_MEDIA_TYPE', `the body must be application/json, not ${type || 'untyped'}`)
    }
    const parsed = WireUpdate.safeParse(parseWebhookJson(await readRawBody(ctx, deps.maxBodyBytes)))
    if (!parsed.success) {
      const details = parsed.error.issues.slice(0, 5).map((issue) => ({ path: ['body', ...issue.path].join('.'), message: issue.message }))
      throw sbError('SB_ERR_BODY_INVALID', 'the body is not a Telegram update', details)
    }
    // Not stored, it throws: the 429/503 (with Retry-After) makes Telegram deliver it again later.
    const outcome = await deps.receiver.receive(parsed.data as unknown as Update)
    ctx.status = 200
    ctx.body = { ok: true, outcome }
  }
}
