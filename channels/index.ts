import type { ChannelPlugin } from '../core/index.js'
import teams from './teams/index.js'
import telegram from './telegram/index.js'
import websocket from './websocket/index.js'

/** Channel types this build ships; the composition root registers them. */
export const builtinChannels: readonly ChannelPlugin[] = [websocket as unknown as ChannelPlugin, telegram as unknown as ChannelPlugin, teams as unknown as ChannelPlugin]
