import type { HistogramSnapshot } from '../ws-chat/histogram.js'

/** IPC between the orchestrator (run.ts) and the load child (load.ts), which also hosts the sinks. */

export type Platform = 'telegram' | 'teams'

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

export type LoadRequest =
  | { cmd: 'sink'; platform: 'telegram'; identity: TelegramIdentity; concurrency: number }
  | { cmd: 'sink'; platform: 'teams'; identity: TeamsIdentity; concurrency: number }
  | { cmd: 'run'; port: number; path: string; warmupSeconds: number; seconds: number; timeoutMs: number }

/** Where the fake platform listens (Teams: one port plays the channel's keys, AAD and the connector). */
export interface SinkUrls {
  base: string
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
