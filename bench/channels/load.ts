import { Driver } from './driver.js'
import type { LoadEvent, LoadRequest } from './messages.js'
import { teamsConversations, telegramConversations } from './payloads.js'
import { startTeamsSink, startTelegramSink, type ReplyHandler, type Sink } from './sinks.js'
import { voiceCalls } from './voice-calls.js'
import { wechatConversations } from './wechat-payloads.js'
import { startWeChatSink } from './wechat-sink.js'

/**
 * The load child: the fake platform (sink) and the closed-loop driver in one process, so a reply's
 * arrival and the next post share a clock and no IPC hop sits in the loop. One per group: the
 * servers are configured with this sink's URL, so it lives as long as they do. Voice has no sink:
 * the reply is the webhook's answer.
 */
const emit = (event: LoadEvent): void => void process.send?.(event)
process.on('disconnect', () => process.exit(0))

let sink: Sink | undefined
let driver: Driver | undefined
// The sink exists before the driver (its URL goes into the servers' config, its keys sign the tokens).
const handler: ReplyHandler = { reply: (key, text) => driver?.reply(key, text), typing: () => driver?.typing() }

process.on('message', (message: LoadRequest) => {
  handle(message).catch((error: Error) => emit({ type: 'fatal', message: error.stack ?? error.message }))
})
emit({ type: 'ready' })

async function handle(message: LoadRequest): Promise<void> {
  if (message.cmd === 'sink') {
    if (driver) throw new Error('one sink per load child')
    if (message.platform === 'telegram') {
      sink = await startTelegramSink(message.identity.botToken, handler)
      driver = new Driver(telegramConversations(message.concurrency, message.identity.secret))
    } else if (message.platform === 'teams') {
      const teams = await startTeamsSink(message.identity, handler)
      sink = teams
      const tokens = await Promise.all(Array.from({ length: message.concurrency }, () => teams.channelToken()))
      const place = { serviceUrl: teams.urls.serviceUrl!, appId: message.identity.appId, tenantId: message.identity.tenantId }
      driver = new Driver(teamsConversations(message.concurrency, place, tokens))
    } else if (message.platform === 'wechat') {
      sink = await startWeChatSink(message.identity, handler)
      driver = new Driver(wechatConversations(message.concurrency, message.identity))
    } else {
      driver = new Driver(voiceCalls(message.concurrency, message.identity))
    }
    return emit({ type: 'sink', urls: sink?.urls ?? {} })
  }
  if (!driver) throw new Error('run before sink')
  const result = await driver.run({
    ...message,
    onWindow: (edge) => emit({ type: 'window', edge, hrtimeUs: Number(process.hrtime.bigint() / 1000n) }),
  })
  emit({ type: 'loaded', result })
}
