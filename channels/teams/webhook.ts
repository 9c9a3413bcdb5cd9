import type { IncomingMessage } from 'node:http'
import type { Context, Middleware } from 'koa'
import type { Logger } from 'pino'
import {
  isSwitchboardError,
  parseWebhookJson,
  readRawBody,
  sbError,
  type ChannelContext,
  type ChannelDeliveryPort,
  type ConversationLinks,
  type ErrorCode,
} from '../../core/index.js'
import type { AuthVerdict } from './client.js'
import { decodeActivity, WireActivity, type Owner } from './inbound.js'
import type { ServiceUrlAllowlist } from './service-urls.js'

export interface WebhookDeps {
  owner: Owner
  maxBodyBytes: number
  serviceUrls: ServiceUrlAllowlist
  verify(activity: WireActivity, authorization: string | undefined): Promise<AuthVerdict>
  links: ConversationLinks
  delivery: ChannelDeliveryPort
  log: Logger
  clientAddress(request: IncomingMessage): string
  securityEvent: ChannelContext<unknown>['securityEvent']
}

/**
 * Universal Actions (Action.Execute) expect an invoke response; an empty message response
 * acknowledges the press without replacing the card (the reply follows as a message).
 */
const CARD_ACTION_RESPONSE = { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: '' }

/**
 * `POST /t/<tenant>/<instance>/messages`: verify → parse → normalise → dispatch.
 * A message is answered 200 only once it is durably stored (Teams redelivers after 15 s, and
 * again on 429/5xx); what the channel does not handle is acknowledged and dropped; a request that
 * is not from Teams never reaches the pipeline.
 */
export function teamsWebhook(deps: WebhookDeps): Middleware {
  return async (ctx) => {
    const authorization = ctx.get('authorization') || undefined
    const refuse = (status: 401 | 403, action: string, reason: string): never => {
      deps.securityEvent({ action, source: deps.clientAddress(ctx.req), reason, requestId: ctx.state.requestId as string | undefined })
      if (status === 401) ctx.set('WWW-Authenticate', 'Bearer')
      throw sbError(status === 403 ? 'SB_ERR_FORBIDDEN' : authorization ? 'SB_ERR_AUTH_INVALID' : 'SB_ERR_AUTH_REQUIRED', reason)
    }
    // Refused before a byte of the body is read.
    if (!authorization) refuse(401, 'channel.token_missing', 'no Authorization header')
    if (!ctx.is('application/json')) throw sbError('SB_ERR_UNSUPPORTED_MEDIA_TYPE', 'activities are application/json')

    const body = parseWebhookJson(await readRawBody(ctx, deps.maxBodyBytes))
    const envelope = WireActivity.safeParse(body)
    if (!envelope.success) throw sbError('SB_ERR_BODY_INVALID', 'not a Bot Framework activity', envelope.error.issues.map((i) => ({ path: i.path.join('.') || 'body', message: i.message })))
    const wire = envelope.data
    // Before anything could use it: replies carry the bot's token to this URL.
    if (!deps.serviceUrls.allows(wire.serviceUrl)) refuse(403, 'channel.service_url_forbidden', `serviceUrl ${wire.serviceUrl} is not allowlisted`)

    const verdict = await deps.verify(wire, authorization)
    if (!verdict.ok) {
      if (verdict.status === 503) {
        deps.log.warn({ reason: verdict.reason }, 'cannot verify Teams tokens right now')
        throw Object.assign(sbError('SB_ERR_IDP_UNAVAILABLE', verdict.reason), { retryAfterMs: 5000 })
      }
      refuse(verdict.status, verdict.status === 403 ? 'channel.token_forbidden' : 'channel.token_invalid', verdict.reason)
    }

    if (wire.type === 'message') return accept(ctx, deps, body, undefined)
    if (wire.type === 'invoke') return accept(ctx, deps, body, wire.name === 'adaptiveCard/action' ? CARD_ACTION_RESPONSE : {})
    // conversationUpdate, messageReaction, typing, installationUpdate, types yet to come: acknowledged, nothing to answer.
    deps.log.debug({ type: wire.type }, 'Teams activity acknowledged and ignored')
    acknowledge(ctx)
  }
}

/** Stores the activity (if it is one the pipeline answers) and acknowledges it. */
async function accept(ctx: Context, deps: WebhookDeps, body: unknown, invokeResponse: Record<string, unknown> | undefined): Promise<void> {
  const decoded = decodeActivity(body, deps.owner)
  if (decoded) {
    const { activity, reference } = decoded
    try {
      activity.conversation.id = await deps.links.resolve({
        externalId: activity.conversation.externalId,
        userId: activity.from.id,
        ...(activity.from.name ? { userName: activity.from.name } : {}),
        ...(activity.locale ? { locale: activity.locale } : {}),
        reference,
      })
      await deps.delivery.receive(activity)
    } catch (error) {
      throw redeliverable(deps.log, error)
    }
  }
  if (invokeResponse) ctx.body = invokeResponse
  else acknowledge(ctx)
}

/** 200 with an empty body, as the Bot Framework answers activities that are not invokes. */
function acknowledge(ctx: Context): void {
  ctx.status = 200
  ctx.body = ''
}

const RETRYABLE: readonly ErrorCode[] = ['SB_ERR_RATE_LIMITED', 'SB_ERR_SHUTTING_DOWN', 'SB_ERR_STORE_UNAVAILABLE']

/** Nothing was stored: answer so that Teams delivers it again later (429/503), never a 2xx. */
function redeliverable(log: Logger, error: unknown) {
  const known = isSwitchboardError(error) && RETRYABLE.includes(error.code) ? error : undefined
  if (!known) log.error({ err: error }, 'could not accept a Teams activity; asking Teams to redeliver')
  const failure = known ?? sbError('SB_ERR_STORE_UNAVAILABLE', 'the activity could not be stored; deliver it again', [], error)
  failure.retryAfterMs ??= 1000
  return failure
}
