import { z } from 'zod'
import { secret, type ChannelManifest } from '../../core/index.js'
import { WechatyConfig } from './wechaty/config.js'

/** A send budget: `points` sends per `seconds`. */
const rule = z.object({ points: z.number().int().min(1), seconds: z.number().int().min(1) }).strict()

/**
 * Our own pace, below WeChat's: the platform's real limits are quotas (5 messages per 48 h after a
 * user message) it enforces itself, and a frequency limit (45009) per app it does not publish.
 */
const Limits = z
  .object({
    /** Per user (openid / UserID): a long split reply goes out briskly but not in one burst. */
    user: rule.default({ points: 5, seconds: 1 }),
    /** The whole app (one OA or WeCom agent), every user together. */
    app: rule.default({ points: 50, seconds: 1 }),
  })
  .strict()

/** The console's EncodingAESKey: 43 base64 characters (a 32-byte AES key without its `=`). */
const ENCODING_AES_KEY = /^[A-Za-z0-9+/]{43}$/
/** WeChat's Token field: 3–32 letters and digits. */
const CALLBACK_TOKEN = /^[A-Za-z0-9]{3,32}$/

const httpUrl = z.url({ protocol: /^https?$/ })

/** What both callback transports share: how requests are checked and how long the channel waits. */
const callbackKnobs = {
  /** A request whose `timestamp` is further than this from our clock is refused (replay window). */
  timestampWindowSeconds: z.number().int().min(30).max(3600).default(300),
  /**
   * How long a callback waits for the turn's answer to send it as the passive reply (no quota,
   * no API call); after it the callback answers `success` and the answer goes through the API.
   * 0 turns passive replies off. Kept well under WeChat's 5-second deadline.
   */
  passiveReplyWaitMs: z.number().int().min(0).max(3000).default(1500),
  limits: Limits.prefault({}),
  /** Every API call (token, send, typing) is abandoned after this long; a send then counts as `unknown`. */
  requestTimeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  /** Larger callback bodies get 413 (a WeChat callback is a few KiB). */
  maxBodyBytes: z.number().int().min(4096).max(1_048_576).default(65_536),
  /** WeChat sends no language; this is the activity's locale. */
  locale: z.string().min(2).max(35).default('zh-CN'),
}

export const OfficialAccountConfig = z
  .object({
    transport: z.literal('official-account'),
    /** 开发者ID (AppID), `wx…`: the trailer every decrypted message must carry. */
    appId: z.string().trim().min(1).max(64),
    /** 开发者密码 (AppSecret), for access tokens. */
    appSecret: secret(),
    /** 服务器配置 → 令牌 (Token): signs every callback. */
    token: secret(),
    /** 服务器配置 → 消息加解密密钥 (EncodingAESKey); not needed in plain mode. */
    encodingAESKey: secret().optional(),
    /**
     * 消息加解密方式 as set in the console: `safe` (安全模式, every body encrypted; a plaintext POST is
     * refused), `compatible` (兼容模式, both; the encrypted copy is the one trusted) or `plain`
     * (明文模式, the body cannot be authenticated: see the README).
     */
    encryption: z.enum(['safe', 'compatible', 'plain']).default('safe'),
    apiRoot: httpUrl.default('https://api.weixin.qq.com'),
    /** Shows "typing…" through custom/typing while a slow turn runs. */
    typing: z.boolean().default(true),
    ...callbackKnobs,
  })
  .strict()
  .refine((c) => c.encryption === 'plain' || c.encodingAESKey !== undefined, { path: ['encodingAESKey'], message: 'required unless encryption is plain' })
export type OfficialAccountConfig = z.infer<typeof OfficialAccountConfig>

export const WeComConfig = z
  .object({
    transport: z.literal('wecom'),
    /** 企业ID (CorpID), `ww…`: the trailer every decrypted message must carry. */
    corpId: z.string().trim().min(1).max(64),
    /** The self-built app's AgentId. */
    agentId: z.number().int().min(0),
    /** The app's Secret, for access tokens. */
    corpSecret: secret(),
    /** 接收消息服务器配置 → Token. */
    token: secret(),
    /** 接收消息服务器配置 → EncodingAESKey: WeCom callbacks are always encrypted. */
    encodingAESKey: secret(),
    apiRoot: httpUrl.default('https://qyapi.weixin.qq.com'),
    ...callbackKnobs,
  })
  .strict()
export type WeComConfig = z.infer<typeof WeComConfig>

/**
 * The secrets' formats are checked on the union, not on their fields: secret references
 * (`${env:…}`) are resolved after the loader picks the union member a config belongs to by
 * parsing it with the references still in, and a format check there would make every member
 * refuse it.
 */
export const WeChatConfig = z.discriminatedUnion('transport', [OfficialAccountConfig, WeComConfig, WechatyConfig]).superRefine((config, ctx) => {
  if (config.transport === 'wechaty') return
  if (!CALLBACK_TOKEN.test(config.token)) ctx.addIssue({ code: 'custom', path: ['token'], message: 'a callback Token is 3–32 letters and digits' })
  if (config.encodingAESKey !== undefined && !ENCODING_AES_KEY.test(config.encodingAESKey))
    ctx.addIssue({ code: 'custom', path: ['encodingAESKey'], message: 'an EncodingAESKey is exactly 43 characters of A–Z, a–z, 0–9, + and /' })
})
export type WeChatConfig = z.infer<typeof WeChatConfig>
/** The transports WeChat calls back over HTTP. */
export type CallbackConfig = OfficialAccountConfig | WeComConfig

export const manifest = {
  kind: 'channel',
  id: 'wechat',
  endpoint: (config) => (config.transport === 'wechaty' ? undefined : '/callback'),
  label: 'WeChat',
  version: '1.0.0',
  config: WeChatConfig,
  // 682 UTF-16 units: at most 2046 bytes of UTF-8 (3 per unit, 4 per surrogate pair), within the
  // 2048 bytes WeChat takes per text message.
  capabilities: { parts: ['text', 'image', 'choice'], maxTextLength: 682, typing: true },
} satisfies ChannelManifest<typeof WeChatConfig>
