import { ConversationLinks, defineChannel, TypingIndicators } from '../../core/index.js'
import { TelegramClient } from './client.js'
import { manifest } from './manifest.js'
import { Sender } from './outbound.js'
import { startPolling } from './polling.js'
import { UpdateReceiver } from './receiver.js'
import { botKey, holdWebhook } from './registration.js'
import { deriveWebhookSecret } from './secret.js'

import { webhookHandler } from './webhook.js'

/** How long after a failed webhook delivery the channel reports itself unhealthy. */
const PROBE_ERROR_WINDOW_SECONDS = 300

export default defineChannel({
  manifest,
  async start(ctx) {
    const { config, tenant, instance, scope, log } = ctx
    const client = new TelegramClient(config)
    // Registered first, so it runs last: the webhook's undo still needs the client.
    scope.onDispose(() => client.close(), 'telegram client')
    const links = new ConversationLinks(ctx.conversations, { tenant, channel: manifest.id, instance })
    const governor = ctx.rateGovernor(config.limits)
    const throttled = (source: 'platform' | 'governor') => ctx.metrics.channelThrottled.inc({ tenant, channel: manifest.id, source })
    const sender = new Sender({ client, links, governor, maxLength: manifest.capabilities.maxTextLength, throttled, log })
    const receiver = new UpdateReceiver({ owner: { tenant, instance }, client, links, delivery: ctx.delivery, transcript: ctx.transcript, log })

    const typing = new TypingIndicators((conversationId) => sender.showTyping(conversationId), { intervalMs: config.typingIntervalMs, maxMs: config.typingMaxMs, spacing: 'while-on' })
    scope.onDispose(() => typing.stop(), 'typing indicators')

    const secret = config.webhookSecret ?? deriveWebhookSecret(config.botToken, tenant, instance)
    const key = botKey(config.botToken)
    if (config.mode === 'webhook') {
      ctx.http.route(
        'POST',
        '/webhook',
        webhookHandler({ secrets: [secret, ...config.previousSecrets], maxBodyBytes: config.maxBodyBytes, receiver, securityEvent: ctx.securityEvent, clientAddress: ctx.clientAddress }),
      )
      if (config.publicUrl) {
        const url = `${config.publicUrl.replace(/\/+$/, '')}${ctx.http.pathOf('/webhook')}`
        const release = holdWebhook({ client, key, url, secret, allowedUpdates: config.allowedUpdates, maxConnections: config.maxConnections, log, signal: scope.signal, closing: ctx.closing })
        scope.onDispose(release, 'telegram webhook')
      }
    } else {
      const { pollTimeoutSeconds, requestTimeoutMs, allowedUpdates } = config
      scope.onDispose(startPolling({ client, receiver, allowedUpdates, pollTimeoutSeconds, requestTimeoutMs, log, signal: scope.signal }, key), 'telegram polling')
    }

    return {
      send: (delivery) => sender.send(delivery),
      typing: (conversationId, on) => typing.set(conversationId, on),
      async probe() {
        const info = await client.call('getWebhookInfo', {})
        // Telegram keeps the last delivery error around after it recovered; only a recent one is a problem.
        const failing = info.last_error_date !== undefined && Date.now() / 1000 - info.last_error_date < PROBE_ERROR_WINDOW_SECONDS
        const problem = failing ? `; last delivery error: ${info.last_error_message ?? 'unknown'}` : ''
        return { ok: !failing, detail: `${config.mode}, ${info.pending_update_count} updates pending${problem}` }
      },
    }
  },
})
