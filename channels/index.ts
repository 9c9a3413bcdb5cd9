import type { ChannelPlugin } from '../core/index.js'
import teams from './teams/index.js'
import telegram from './telegram/index.js'
import voice from './voice/index.js'
import websocket from './websocket/index.js'
import wechat from './wechat/index.js'

/** Channel types this build ships; the composition root registers them. */
export const builtinChannels: readonly ChannelPlugin[] = [websocket, telegram, teams, wechat, voice] as unknown as readonly ChannelPlugin[]
