import { AccessTokens, ConversationLinks, defineChannel, KeepAliveHttp, TypingIndicators } from '../../core/index.js'
import { connectorTokenIssuer } from './access-token.js'
import { CONNECTOR_SCOPE, ConnectorClient, TeamsAuth } from './client.js'
import { manifest, tokenEndpoint } from './manifest.js'
import { governorRules, TeamsSender } from './outbound.js'
import { ServiceUrlAllowlist } from './service-urls.js'
import { SigningKeys } from './signing-keys.js'
import { SlidingWindows } from './sliding-windows.js'
import { teamsWebhook } from './webhook.js'

export default defineChannel({
  manifest,
  async start(ctx) {
    const { config, tenant, instance, scope } = ctx
    const http = new KeepAliveHttp({ timeoutMs: config.requestTimeoutMs })
    scope.onDispose(() => http.destroy(), 'keep-alive connections')

    const keys = new SigningKeys(config.openIdMetadataUrl, http)
    const auth = new TeamsAuth({ appId: config.appId, appTenantId: config.appTenantId, openIdMetadataUrl: config.openIdMetadataUrl, timeoutMs: config.requestTimeoutMs }, keys)
    const tokens = new AccessTokens({
      issue: connectorTokenIssuer({ tokenUrl: tokenEndpoint(config), appId: config.appId, appPassword: config.appPassword, scope: CONNECTOR_SCOPE }, http),
      label: 'Teams',
      waitForPeerMs: config.requestTimeoutMs,
      log: ctx.log,
    })
    const links = new ConversationLinks(ctx.conversations, { tenant, channel: manifest.id, instance })
    const serviceUrls = new ServiceUrlAllowlist(config.serviceUrls)
    const { rules, buckets } = governorRules(config.limits)
    const sender = new TeamsSender({
      tenant,
      connector: new ConnectorClient(http, tokens),
      links,
      governor: ctx.rateGovernor(rules),
      buckets,
      windows: { perThread: new SlidingWindows(config.limits.perThread, config.limits.marginMs), perApp: new SlidingWindows(config.limits.perApp, config.limits.marginMs) },
      serviceUrls,
      maxMessageBytes: config.maxMessageBytes,
      retry: config.retry,
      metrics: ctx.metrics,
      log: ctx.log,
    })
    const typing = new TypingIndicators((conversationId) => sender.typing(conversationId), { intervalMs: config.typingIntervalMs, maxMs: config.typingMaxMs })
    scope.onDispose(() => typing.stop(), 'typing indicators')

    ctx.http.route(
      'POST',
      '/messages',
      teamsWebhook({
        owner: { tenant, instance },
        maxBodyBytes: config.maxBodyBytes,
        serviceUrls,
        verify: (activity, authorization) => auth.verify(activity, authorization),
        links,
        delivery: ctx.delivery,
        log: ctx.log,
        clientAddress: ctx.clientAddress,
        securityEvent: ctx.securityEvent,
      }),
    )

    return {
      send: (delivery) => sender.send(delivery),
      typing: (conversationId, on) => typing.set(conversationId, on),
      async probe() {
        try {
          await tokens.get()
          return { ok: true, detail: 'bot token available' }
        } catch (error) {
          return { ok: false, detail: (error as Error).message }
        }
      },
    }
  },
})
