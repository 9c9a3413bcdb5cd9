import { AccessTokens, ConversationLinks, KeepAliveHttp, tenantKey, Tokens, TypingIndicators, type ChannelConnection, type ChannelContext, type OutboundDelivery } from '../../core/index.js'
import { tokenIssuer, WeChatApi, type Dialect } from './api.js'
import type { CallbackSecrets } from './callback-auth.js'
import { manifest, type CallbackConfig } from './manifest.js'
import { WeChatSender } from './outbound.js'
import { PassiveReplies } from './passive-reply.js'
import { CallbackReceiver } from './receiver.js'
import { ReplayGuard } from './replay-guard.js'
import { callbackHandler, verificationHandler, type CallbackDeps } from './webhook.js'

/** WeCom promises a nonce is not reused within two hours. */
const WECOM_NONCE_SECONDS = 2 * 3600
/** WeChat's "typing…" lasts about 15 s; it is repeated this often while a slow turn runs. */
const TYPING_INTERVAL_MS = 15_000
const TYPING_MAX_MS = 60_000

/**
 * An Official Account or WeCom app whose callbacks come to `/t/<tenant>/<instance>/callback`
 * and whose replies go out as passive replies or through the customer-service / app-message API.
 */
export async function startCallbacks(ctx: ChannelContext<CallbackConfig>): Promise<ChannelConnection> {
  const { config, tenant, instance, scope, log } = ctx
  const channel = manifest.id
  const http = new KeepAliveHttp({ timeoutMs: config.requestTimeoutMs, maxSockets: 32, maxResponseBytes: 256 * 1024 })
  scope.onDispose(() => http.destroy(), 'wechat api connections')
  const redis = ctx.container.isRegistered(Tokens.Redis, true) ? ctx.container.resolve(Tokens.Redis) : undefined
  const { dialect, secrets, app } = identity(config)

  const tokens = new AccessTokens({
    issue: tokenIssuer(config.apiRoot, dialect, http),
    ...(redis ? { shared: { redis, key: tenantKey(tenant, 'wechat', 'token', app) } } : {}),
    waitForPeerMs: config.requestTimeoutMs + 1000,
    label: 'WeChat',
    log,
  })
  const api = new WeChatApi(config.apiRoot, dialect, http, tokens)
  const links = new ConversationLinks(ctx.conversations, { tenant, channel, instance })
  const passive = new PassiveReplies()
  scope.onDispose(() => passive.close(), 'waiting passive replies')
  const audit = ctx.container.resolve(Tokens.Audit)
  const undeliverable = (delivery: OutboundDelivery, reason: string, detail: string) => {
    ctx.metrics.channelUndeliverable.inc({ tenant, channel, reason })
    audit.recordLater(
      { tenant, actor: { type: 'channel', id: instance }, action: 'channel.reply_undeliverable', target: `conversation:${delivery.conversationId}`, outcome: 'failure', details: { reason: detail, message: delivery.id } },
      (error) => log.error({ err: error, conversation: delivery.conversationId }, 'could not audit an undeliverable reply'),
    )
  }
  const sender = new WeChatSender({
    api,
    links,
    governor: ctx.rateGovernor(config.limits),
    passive,
    instance,
    maxLength: manifest.capabilities.maxTextLength,
    undeliverable,
    throttled: (source) => ctx.metrics.channelThrottled.inc({ tenant, channel, source }),
    log,
  })

  const deps: CallbackDeps = {
    owner: { tenant, instance, locale: config.locale },
    secrets,
    windowSeconds: config.timestampWindowSeconds,
    maxBodyBytes: config.maxBodyBytes,
    passiveReplyWaitMs: config.passiveReplyWaitMs,
    receiver: new CallbackReceiver({ links, delivery: ctx.delivery, transcript: ctx.transcript, log }),
    passive,
    replay: new ReplayGuard({
      ttlSeconds: config.transport === 'wecom' ? WECOM_NONCE_SECONDS : 2 * config.timestampWindowSeconds,
      ...(redis ? { shared: { redis, prefix: tenantKey(tenant, 'wechat', 'nonce', instance) } } : {}),
      log,
    }),
    log,
    securityEvent: ctx.securityEvent,
    clientAddress: ctx.clientAddress,
  }
  ctx.http.route('GET', '/callback', verificationHandler(deps))
  ctx.http.route('POST', '/callback', callbackHandler(deps))

  const typing =
    config.transport === 'official-account' && config.typing
      ? new TypingIndicators((conversationId) => sender.showTyping(conversationId), { intervalMs: TYPING_INTERVAL_MS, maxMs: TYPING_MAX_MS, spacing: 'while-on' })
      : undefined
  if (typing) scope.onDispose(() => typing.stop(), 'typing indicators')

  return {
    send: (delivery) => sender.send(delivery),
    ...(typing ? { typing: (conversationId: string, on: boolean) => typing.set(conversationId, on) } : {}),
    async probe() {
      try {
        await tokens.get()
        return { ok: true, detail: `${config.transport}, access token available` }
      } catch (error) {
        return { ok: false, detail: (error as Error).message }
      }
    },
  }
}

/** Who the app is to WeChat's API and to its callbacks. */
function identity(config: CallbackConfig): { dialect: Dialect; secrets: CallbackSecrets; app: string } {
  if (config.transport === 'official-account') {
    return {
      dialect: { kind: 'official-account', appId: config.appId, appSecret: config.appSecret },
      secrets: { transport: 'official-account', encryption: config.encryption, token: config.token, receiveId: config.appId, ...(config.encodingAESKey ? { encodingAESKey: config.encodingAESKey } : {}) },
      app: config.appId,
    }
  }
  return {
    dialect: { kind: 'wecom', corpId: config.corpId, corpSecret: config.corpSecret, agentId: config.agentId },
    secrets: { transport: 'wecom', encryption: 'safe', token: config.token, receiveId: config.corpId, encodingAESKey: config.encodingAESKey },
    // A WeCom token belongs to one app (its secret) of the corp.
    app: `${config.corpId}.${config.agentId}`,
  }
}
