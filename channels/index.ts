import type { ChannelPlugin } from '../core/index.js'
import websocket from './websocket/index.js'

/** Channel types this build ships; the composition root registers them. */
export const builtinChannels: readonly ChannelPlugin[] = [websocket as unknown as ChannelPlugin]
