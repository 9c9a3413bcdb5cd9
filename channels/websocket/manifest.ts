import { z } from 'zod'
import type { ChannelManifest } from '../../core/index.js'

const origin = z.union([z.literal('*'), z.url({ protocol: /^https?$/ })])

export const WebsocketConfig = z
  .object({
    /** Sites whose pages may open sockets, besides the gateway's own chat page; "*" for any. */
    allowedOrigins: z.array(origin).default([]),
    sessionTtlSeconds: z.number().int().min(60).max(30 * 86_400).default(43_200),
    maxFrameBytes: z.number().int().min(1024).max(1_048_576).default(65_536),
    maxTextLength: z.number().int().min(1).max(100_000).default(4000),
    rateLimit: z
      .object({ frames: z.number().int().min(1).default(30), perSeconds: z.number().int().min(1).default(10) })
      .strict()
      .default({ frames: 30, perSeconds: 10 }),
    heartbeatSeconds: z.number().int().min(1).max(300).default(25),
    /** New sockets one client address may open per minute; each new visitor is a stored conversation. */
    connectionsPerMinute: z.number().int().min(1).default(120),
    helloTimeoutSeconds: z.number().int().min(1).max(60).default(10),
    title: z.string().max(200).default('Support'),
    greeting: z.string().max(1000).optional(),
  })
  .strict()
export type WebsocketConfig = z.infer<typeof WebsocketConfig>

export const manifest = {
  kind: 'channel',
  id: 'websocket',
  label: 'Web chat (WebSocket)',
  version: '1.0.0',
  config: WebsocketConfig,
  capabilities: { parts: ['text', 'image', 'audio', 'video', 'file', 'card', 'choice'], maxTextLength: 20_000, typing: true, streaming: true, resumable: true },
  reservedPaths: ['ws', 'chat'],
} satisfies ChannelManifest<typeof WebsocketConfig>
