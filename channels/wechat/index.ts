import { defineChannel, type ChannelContext } from '../../core/index.js'
import { manifest, type CallbackConfig } from './manifest.js'
import type { WechatyConfig } from './wechaty/config.js'

export default defineChannel({
  manifest,
  // Each transport loads when a channel of its kind starts: the CLI and gateways without WeChat
  // never pay for the XML parser and crypto, nor for wechaty.
  async start(ctx) {
    // The config's transport decides which context this is; TypeScript cannot narrow ctx by it.
    if (ctx.config.transport === 'wechaty') return (await import('./wechaty/transport.js')).startWechaty(ctx as ChannelContext<WechatyConfig>)
    return (await import('./callback-transport.js')).startCallbacks(ctx as ChannelContext<CallbackConfig>)
  },
})
