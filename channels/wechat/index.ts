import { defineChannel, type ChannelContext } from '../../core/index.js'
import { startCallbacks } from './callback-transport.js'
import { manifest, type CallbackConfig } from './manifest.js'
import type { WechatyConfig } from './wechaty/config.js'
import { startWechaty } from './wechaty/transport.js'

export default defineChannel({
  manifest,
  async start(ctx) {
    // The config's transport decides which context this is; TypeScript cannot narrow ctx by it.
    if (ctx.config.transport === 'wechaty') return startWechaty(ctx as ChannelContext<WechatyConfig>)
    return startCallbacks(ctx as ChannelContext<CallbackConfig>)
  },
})
