import { z } from 'zod'
import { secret, type ChannelManifest } from '../../core/index.js'

/**
 * Telegram's `secret_token` alphabet. The pipe keeps the registered secret() schema as the pipe's
 * input, which is what redaction and `${env:…}` resolution look for.
 */
const webhookSecret = secret().pipe(z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'a webhook secret is 1–256 characters of A–Z, a–z, 0–9, _ and -'))

/** A send budget: `points` sends per `seconds`. */
const rule = z.object({ points: z.number().int().min(1), seconds: z.number().int().min(1) }).strict()

/** Telegram's documented limits (Bot FAQ); "subject to change", hence config. */
const Limits = z
  .object({
    /** Per chat: about one message per second. */
    chat: rule.default({ points: 1, seconds: 1 }),
    /** Per group or supergroup, on top of `chat`: 20 messages per minute. */
    group: rule.default({ points: 20, seconds: 60 }),
    /** The whole bot: about 30 messages per second. */
    bot: rule.default({ points: 30, seconds: 1 }),
  })
  .strict()

export const TelegramConfig = z
  .object({
    /** From @BotFather; write `${env:…}` or `${file:…}`, never the token itself. */
    botToken: secret(),
    /** `webhook` in production; `polling` (getUpdates) for a laptop without a public URL. */
    mode: z.enum(['webhook', 'polling']).default('webhook'),
    /**
     * The gateway's public base URL (https, port 443/80/88/8443). With it the channel registers its
     * webhook on start; without it the operator calls setWebhook.
     */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** X-Telegram-Bot-Api-Secret-Token; derived from the bot token, tenant and instance when omitted. */
    webhookSecret: webhookSecret.optional(),
    /** Secrets still accepted while Telegram retries updates sent before a rotation. */
    previousSecrets: z.array(webhookSecret).max(5).default([]),
    apiRoot: z.url({ protocol: /^https?$/ }).default('https://api.telegram.org'),
    /** Update types Telegram sends (setWebhook / getUpdates); others are never delivered. */
    allowedUpdates: z.array(z.string().min(1)).default(['message', 'edited_message', 'callback_query']),
    /** Concurrent webhook connections Telegram may open (1–100). */
    maxConnections: z.number().int().min(1).max(100).default(40),
    limits: Limits.prefault({}),
    /** Every Bot API call is aborted after this long (a send then counts as `unknown`). */
    requestTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Larger webhook bodies get 413. */
    maxBodyBytes: z.number().int().min(1024).max(16 * 1_048_576).default(1_048_576),
    /** Telegram shows "typing…" for about 5 s; refreshed this often while a turn runs. */
    typingIntervalMs: z.number().int().min(100).max(60_000).default(4000),
    /** A typing indicator whose "off" never came stops refreshing after this long. */
    typingMaxMs: z.number().int().min(1000).max(600_000).default(60_000),
    /** Long-poll wait of getUpdates in polling mode (0–50 s). */
    pollTimeoutSeconds: z.number().int().min(0).max(50).default(25),
  })
  .strict()
export type TelegramConfig = z.infer<typeof TelegramConfig>

export const manifest = {
  kind: 'channel',
  id: 'telegram',
  endpoint: (config) => (config.mode === 'webhook' ? '/webhook' : undefined),
  label: 'Telegram',
  version: '1.0.0',
  config: TelegramConfig,
  // 4096 UTF-16 units per message (Bot API sendMessage, counted after entity parsing).
  capabilities: { parts: ['text', 'image', 'file', 'audio', 'video', 'card', 'choice'], maxTextLength: 4096, typing: true },
} satisfies ChannelManifest<typeof TelegramConfig>
