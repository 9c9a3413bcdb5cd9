import type { HistogramSnapshot } from '../ws-chat/histogram.js'

/** IPC between the orchestrator (run.ts) and the load child (load.ts), which also hosts the sinks. */

export type Platform = 'telegram' | 'teams' | 'wechat' | 'voice'

/** Credentials the orchestrator makes up for a group; servers and the sink share them. */
export interface TelegramIdentity {
  botToken: string
  secret: string
}
export interface TeamsIdentity {
  appId: string
  appPassword: string
  tenantId: string
}
/** An Official Account in safe mode. */
export interface WeChatIdentity {
  appId: string
  appSecret: string
  token: string
  encodingAESKey: string
  /** The account's original id (`gh_…`), the ToUserName of every callback. */
  originalId: string
}
export interface VoiceIdentity {
  accountSid: string
  authToken: string
  /** The Twilio number callers dial (To). */
  number: string
}
export type Identity = TelegramIdentity | TeamsIdentity | WeChatIdentity | VoiceIdentity

export type LoadRequest =
  | { cmd: 'sink'; platform: 'telegram'; identity: TelegramIdentity; concurrency: number }
  | { cmd: 'sink'; platform: 'teams'; identity: TeamsIdentity; concurrency: number }
  | { cmd: 'sink'; platform: 'wechat'; identity: WeChatIdentity; concurrency: number }
  | { cmd: 'sink'; platform: 'voice'; identity: VoiceIdentity; concurrency: number }
  /** `loops`: how many of the conversations take part (the rest stay idle); all of them by default. */
  | { cmd: 'run'; port: number; path: string; loops?: number; warmupSeconds: number; seconds: number; timeoutMs: number }

/**
 * Where the fake platform listens (Teams: one port plays the channel's keys, AAD and the connector;
 * WeChat: the token and customer-service APIs). Twilio answers nothing a voice bot calls, so voice
 * has no sink and no base.
 */
export interface SinkUrls {
  base?: string
  /** Teams only: `${base}/`, trailing slash as Teams sends it. */
  serviceUrl?: string
  openIdMetadataUrl?: string
  tokenUrl?: string
  /** botbuilder's ToChannelFromBotLoginUrl; its token endpoint is `${loginUrl}/oauth2/v2.0/token`. */
  loginUrl?: string
}

export interface LoadResult {
  /** Length of the measured window by the load child's clock. */
  windowSeconds: number
  /** Replies that reached the sink inside the window. */
  completed: number
  /** Latency (µs) of the messages both sent and answered inside the window. */
  histogram: HistogramSnapshot
  /** Every message of the run, warm-up and drain included. */
  sent: number
  replies: number
  /** Sent, and no reply had arrived once the run drained. */
  missing: number
  /** A second reply to a message already answered. */
  duplicate: number
  /** A reply after its message had been given up on (timeout or a non-2xx webhook answer). */
  late: number
  /** A reply whose text or conversation matches no message sent. */
  wrong: number
  typing: number
  /** Webhook answers other than 2xx, by status. */
  statuses: Record<string, number>
  /** 2xx answers the platform would not accept, by reason (WeChat: not `success`, empty or a verifiable passive reply; voice: not TwiML that speaks). */
  unreadable: Record<string, number>
  /** Replies that came back in the webhook's answer (a WeChat passive reply, TwiML) rather than through the sink. */
  inAnswer: number
  /** Fillers answered in place of the reply, whose `<Redirect>` the platform then followed (voice). */
  redirects: number
  /** Webhook requests that failed without an answer, by error code. */
  errors: Record<string, number>
}

export type LoadEvent =
  | { type: 'ready' }
  | { type: 'sink'; urls: SinkUrls }
  /** `hrtimeUs` is CLOCK_MONOTONIC in µs: the same clock V8's CPU profiles are stamped with. */
  | { type: 'window'; edge: 'start' | 'end'; hrtimeUs: number }
  | { type: 'loaded'; result: LoadResult }
  | { type: 'fatal'; message: string }
