import type { IncomingMessage } from 'node:http'
import type { Logger } from 'pino'
import type { DependencyContainer, InjectionToken } from 'tsyringe'
import type { z } from 'zod'
import type { RateGovernor, RateRule } from '../delivery/rate-governor.js'
import type { Scope } from '../di/scope.js'
import type { InboundActivity, Part, PartType } from '../message/index.js'
import type { Metrics } from '../observability/metrics.js'
import type { ConversationRepository } from '../store/conversations.js'
import type { AcceptResult } from '../store/delivery-store.js'
import type { TranscriptRepository } from '../store/transcript.js'
import type { RouteRegistrar, UpgradeRegistrar } from './routes.js'

export interface ChannelCapabilities {
  /** Parts the channel renders natively; the rest reach it as text fallbacks. */
  parts: readonly PartType[]
  /** Longest text one platform message may carry, in UTF-16 units; longer replies are split. */
  maxTextLength?: number
  typing?: boolean
  streaming?: boolean
  /**
   * Clients fetch what they missed by seq from the transcript (web chat), so the transcript is
   * the outbox: replies are persisted there before sending and no outbox row is kept.
   */
  resumable?: boolean
}

export interface ChannelManifest<S extends z.ZodType = z.ZodType> {
  kind: 'channel'
  /** The `type` tenants write in config. */
  id: string
  label: string
  version: string
  config: S
  capabilities: ChannelCapabilities
  /**
   * Tenant-level paths the channel serves instead of `/t/<tenant>/<instance>/…` (web chat owns
   * `/t/<tenant>/ws` and `/t/<tenant>/chat`). At most one instance per tenant may claim them.
   */
  reservedPaths?: readonly string[]
  /** The route the platform calls, relative to the instance (`/webhook`), if this config has one: shown to operators on start. */
  endpoint?: (config: z.output<S>) => string | undefined
  requires?: readonly InjectionToken<unknown>[]
}

/**
 * What a reply says beyond its parts, for channels that act on it (voice speaks `speak` instead of
 * the text and transfers on `handoff`). Stored with the message, so a replay carries it too.
 */
export interface ReplyHints {
  speak?: string
  handoff?: boolean
  inputHint?: 'accepting' | 'expecting' | 'ignoring'
}

/** One reply message as the outbox hands it to a channel. */
export interface OutboundDelivery {
  id: string
  seq: number
  turnId: string
  conversationId: string
  /** Already rendered for the channel's capabilities and split to its length limit. */
  parts: Part[]
  text: string
  hints?: ReplyHints
  createdAt: Date
  attempt: number
}

export type SendOutcome =
  | { status: 'sent' }
  /** Nobody to send to right now (web chat visitor offline); it stays pending and is replayed on resume. */
  | { status: 'deferred' }
  | { status: 'retry'; afterMs: number; error: string }
  | { status: 'failed'; error: string }
  /** The platform may or may not have it; never re-posted blindly. */
  | { status: 'unknown'; error: string }

export interface ChannelConnection {
  send(delivery: OutboundDelivery): Promise<SendOutcome>
  /** Shows or hides a typing indicator while a turn runs. */
  typing?(conversationId: string, on: boolean): void
  /**
   * Shows a reply while it is being written (channels with `streaming`): `delta` is appended to
   * the turn's draft. Best effort and never persisted; the final reply follows through `send`.
   */
  stream?(conversationId: string, turnId: string, delta: string): void
  /** Tells connected clients the gateway is going away (close sockets with a resume hint). */
  drain?(): Promise<void>
  probe?(): Promise<{ ok: boolean; detail?: string }>
}

/** What the delivery path offers a channel. */
export interface ChannelDeliveryPort {
  /** Durably accepts an inbound activity (or reports a duplicate) and schedules its turn. */
  receive(activity: InboundActivity): Promise<AcceptResult>
  /**
   * True once the turn is no longer pending: committed (with its replies, or with none) or given
   * up. A channel that answers synchronously (voice) tells "no reply" from "not yet" with it.
   */
  settled(turnId: string): Promise<boolean>
}

export interface ChannelContext<C> {
  readonly tenant: string
  readonly instance: string
  readonly config: Readonly<C>
  readonly log: Logger
  readonly scope: Scope
  readonly container: DependencyContainer
  readonly metrics: Metrics
  readonly http: RouteRegistrar
  readonly upgrades: UpgradeRegistrar
  readonly delivery: ChannelDeliveryPort
  readonly conversations: ConversationRepository
  readonly transcript: TranscriptRepository
  /** Who sent a request, honouring the gateway's trustProxy setting (for per-client limits). */
  readonly clientAddress: (request: IncomingMessage) => string
  /** True once the gateway is shutting down: refuse new work, let clients resume elsewhere. */
  readonly closing: () => boolean
  /** The tenant's open-socket budget (tenant config `limits.openSockets`), shared by its channels. */
  readonly sockets: SocketBudget
  /**
   * Outbound token buckets mirroring the platform's send limits (per chat, per group, per bot),
   * shared by every replica through Redis when the gateway has one.
   */
  readonly rateGovernor: (rules: Readonly<Record<string, RateRule>>) => RateGovernor
  /**
   * Records a refused request (bad signature, forged token) in the tenant's audit log, throttled
   * per client so a flood cannot flood the log, and counts it in
   * `switchboard_channel_requests_rejected_total{action}`.
   */
  readonly securityEvent: (event: { action: string; source: string; reason: string; requestId?: string }) => void
}

export interface SocketBudget {
  /** False when the tenant is at its limit: answer with the channel's "slow down". */
  acquire(): boolean
  release(): void
}

export interface ChannelPlugin<S extends z.ZodType = z.ZodType> {
  manifest: ChannelManifest<S>
  /** Called once per (tenant, instance). Everything it starts must be registered on ctx.scope. */
  start(ctx: ChannelContext<z.output<S>>): Promise<ChannelConnection>
}

export const defineChannel = <S extends z.ZodType>(plugin: ChannelPlugin<S>): ChannelPlugin<S> => plugin
