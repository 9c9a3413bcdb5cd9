import type { Context } from 'koa'
import { ConversationLinks, Tokens, type ChannelConnection, type ChannelContext } from '../../core/index.js'
import { CallFlow } from './call-flow.js'
import { readCallRequest } from './call-request.js'
import { CallUrls, pickupOf, stepOf, type Route } from './call-urls.js'
import { manifest, type VoiceConfig } from './manifest.js'
import { callLanguages, promptsFor } from './prompts.js'
import { ReplyWaiter } from './reply-waiter.js'
import { farewell } from './twiml.js'
import { twimlRoute } from './twiml-route.js'

/** How often a waiting webhook rereads the transcript for an answer another replica wrote. */
const TRANSCRIPT_POLL_MS = 250

/** Wires a voice channel instance: its routes, the call flow and the reply waiter. */
export async function startVoice(ctx: ChannelContext<VoiceConfig>): Promise<ChannelConnection> {
  const { config, tenant, instance, scope, log } = ctx
  const languages = callLanguages(config, ctx.container.resolve(Tokens.TenantConfig).locale)
  const prompts = promptsFor(config, languages.say)
  const voice = { language: languages.say, listenLanguage: languages.listen, ...(config.voice ? { voice: config.voice } : {}), ...(config.hints.length ? { hints: config.hints.join(', ') } : {}) }
  const publicBase = config.publicUrl.replace(/\/+$/, '')
  const urls = new CallUrls((route: Route) => `${publicBase}${ctx.http.pathOf(route)}`)
  const waiter = new ReplyWaiter({
    repliesAfter: (conversationId, afterSeq) => ctx.transcript.outboundAfter(tenant, conversationId, afterSeq),
    settled: (turnId) => ctx.delivery.settled(turnId),
    pollMs: TRANSCRIPT_POLL_MS,
    signal: scope.signal,
  })
  const flow = new CallFlow({
    owner: { tenant, instance },
    config,
    prompts,
    voice,
    urls,
    links: new ConversationLinks(ctx.conversations, { tenant, channel: manifest.id, instance }),
    delivery: ctx.delivery,
    conversations: ctx.conversations,
    transcript: ctx.transcript,
    waiter,
    log,
  })

  const verification = {
    accountSid: config.accountSid,
    authTokens: [config.authToken, ...config.previousAuthTokens],
    publicBase,
    maxBodyBytes: config.maxBodyBytes,
    securityEvent: ctx.securityEvent,
    clientAddress: ctx.clientAddress,
  }
  const route = { read: (koa: Context) => readCallRequest(koa, verification), log }
  const lastWords = () => farewell(voice, [prompts.failure])
  ctx.http.route('POST', '/incoming', twimlRoute(route, (call) => flow.incoming(call), lastWords))
  ctx.http.route('POST', '/turn', twimlRoute(route, (call, query) => flow.turn(call, stepOf(query)), lastWords))
  ctx.http.route('POST', '/pickup', twimlRoute(route, (call, query) => flow.pickup(call, pickupOf(query)), lastWords))
  ctx.http.route('POST', '/dial', twimlRoute(route, (call, query) => flow.dialed(call, stepOf(query)), lastWords))
  ctx.http.route('POST', '/status', twimlRoute(route, (call) => flow.status(call)))

  return {
    // The transcript is the outbox: the webhook waiting for this turn reads it from there.
    send: async (delivery) => ({ status: waiter.wake(delivery.turnId) ? 'sent' : 'deferred' }),
    async probe() {
      return { ok: true, detail: `${urls.incoming()}; ${waiter.size} calls waiting for an answer` }
    },
  }
}
