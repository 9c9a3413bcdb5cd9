import { ConversationLinks, Tokens, type ChannelConnection, type ChannelContext } from '../../../core/index.js'
import type { WechatyConfig } from './config.js'
import { Liveness } from './liveness.js'
import { Sender, type Directory } from './outbound.js'
import { createPuppet, PuppetProvider } from './puppet.js'
import { MessageReceiver } from './receiver.js'
import { watchBot } from './watch.js'

const CHANNEL = 'wechat'

/** Starts a Wechaty bot for the channel instance; everything it starts is registered on ctx.scope. */
export async function startWechaty(ctx: ChannelContext<WechatyConfig>): Promise<ChannelConnection> {
  const { config, tenant, instance, scope, log, metrics } = ctx
  const provider = ctx.container.isRegistered(PuppetProvider, true) ? ctx.container.resolve(PuppetProvider) : undefined
  const options = { ...config.puppetOptions, ...(config.puppetToken ? { token: config.puppetToken } : {}) }
  const puppet = await createPuppet({ tenant, instance, puppet: config.puppet, options }, provider)
  // Imported here, not at the top: wechaty takes up to a second to load, which only gateways with a wechaty channel should pay.
  const [{ WechatyBuilder }, { MemoryCard }] = await Promise.all([import('wechaty'), import('memory-card')])
  const name = config.name ?? `switchboard-${tenant}-${instance}`
  // A named memory card is a JSON file in the working directory; this one has no storage, so the puppet's session lives as long as the channel.
  const bot = WechatyBuilder.build({ name, puppet, memory: new MemoryCard({ name, storageOptions: { type: 'nop' } }) })
  // Registered before start so that a start failing half-way still stops what it started; undone last, after the listeners are gone.
  scope.onDispose(() => bot.stop(), 'wechaty bot')

  const links = new ConversationLinks(ctx.conversations, { tenant, channel: CHANNEL, instance })
  const clock = ctx.container.resolve(Tokens.Clock)
  const liveness = new Liveness(() => clock.now(), config.heartbeatTimeoutSeconds * 1000)
  const receiver = new MessageReceiver({
    owner: { tenant, instance },
    rooms: config.rooms,
    links,
    delivery: ctx.delivery,
    transcript: ctx.transcript,
    retry: config.receiveRetry,
    signal: scope.signal,
    log,
    lost: () => metrics.messages.inc({ tenant, channel: CHANNEL, direction: 'in', outcome: 'lost' }),
  })
  scope.onDispose(watchBot(bot, { receiver, liveness, log }), 'wechaty listeners')

  const directory: Directory = {
    get loggedIn() {
      return bot.isLoggedIn
    },
    find: (chat) => (chat.room ? bot.Room.find({ id: chat.id }) : bot.Contact.find({ id: chat.id })),
  }
  const sender = new Sender({
    directory,
    links,
    governor: ctx.rateGovernor(config.limits),
    throttled: () => metrics.channelThrottled.inc({ tenant, channel: CHANNEL, source: 'governor' }),
    undeliverable: (reason) => metrics.channelUndeliverable.inc({ tenant, channel: CHANNEL, reason }),
    log,
  })

  // Not ready(): it waits for a login that may take a QR scan (and the mock puppet never emits it).
  await bot.start()
  log.info({ puppet: config.puppet, name }, 'wechaty bot started')
  return {
    send: (delivery) => sender.send(delivery),
    async probe() {
      const { ok, detail } = liveness.report()
      return { ok, detail: `${config.puppet}: ${detail}` }
    },
  }
}
