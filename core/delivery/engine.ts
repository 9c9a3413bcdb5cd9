import type { Logger } from 'pino'
import { inject, injectable } from 'tsyringe'
import type { Clock } from '../clock.js'
import type { GatewayConfig } from '../config/gateway-schema.js'
import { Tokens } from '../di/tokens.js'
import { sbError, isSwitchboardError } from '../errors.js'
import { plainText, type InboundActivity, type Part, type Reply } from '../message/index.js'
import type { TenantLimits } from '../limits/tenant-limits.js'
import type { Metrics } from '../observability/metrics.js'
import type { Pipeline } from '../pipeline/pipeline.js'
import { createTurn } from '../pipeline/turn.js'
import type { ChannelCapabilities, ChannelConnection, OutboundDelivery, ReplyHints, SendOutcome } from '../plugin/channel.js'
import type { AcceptResult, DeliveryStore, InboundRecord, OutboundMessage, OutboxItem } from '../store/delivery-store.js'
import { isDataError, isStoreUnavailable } from '../store/errors.js'
import { newId } from '../store/ids.js'
import type { TranscriptRepository } from '../store/transcript.js'
import { KeyedSerialQueue } from './keyed-serial-queue.js'
import { apologyReply, renderReplies } from './render.js'

export interface ChannelTarget {
  type: string
  capabilities: ChannelCapabilities
  connection: ChannelConnection
}

/** What the engine needs of a running tenant. */
export interface TurnTarget {
  pipeline: Pipeline
  log: Logger
  locale: string
  /** Aborted when the tenant stops or reloads. */
  signal: AbortSignal
  channel(instance: string): ChannelTarget | undefined
}

export type TenantDirectory = (tenant: string) => TurnTarget | undefined

/** A message written outside a turn: by a human agent, or by the desk (queue position, ticket number). */
export interface DeskDelivery {
  tenant: string
  conversationId: string
  text: string
  /** Richer than `text` (a rating as a 1–5 choice); rendered for the channel like a bot reply. */
  parts?: Part[]
  sender: { id: string; role: 'agent' | 'system'; name?: string }
  hints?: ReplyHints
  annotations?: Record<string, unknown>
}

/** Another replica may have taken the seq this one expected; rereading the conversation settles it. */
const DELIVER_ATTEMPTS = 3

const BOT_ID = 'bot'

function rateLimited(message: string, retryAfterMs: number) {
  const error = sbError('SB_ERR_RATE_LIMITED', message)
  error.retryAfterMs = retryAfterMs
  return error
}
/** Turns, sends, seqs and waits are all per conversation. */
const conversationKey = (tenant: string, conversationId: string): string => `${tenant}:${conversationId}`
const LATE_TURN_GRACE_MS = 5_000
const NOTICEABLE_RETRIES = 3
const MAX_CACHED_STATES = 200_000
/** Plugin memory is usually tiny, but a count bound alone would allow 200k × 64 KiB. */
const MAX_CACHED_MEMORY_CHARS = 32 * 1024 * 1024
/** Plugin memory is for small state (a trend, a route), not transcripts: larger is a plugin bug. */
const MAX_MEMORY_BYTES = 64 * 1024

interface ConversationState {
  seq: number
  /** JSON of the plugins' memory, so a turn gets its own copy and changes are found by comparison. */
  memory: string
}

/**
 * The delivery path in one process: accept into the inbox (dedup, durable before the ack), run
 * turns one at a time per conversation, commit the turn's transcript and replies with the inbox
 * completion, then send — from the outbox, or for resumable channels (web chat) straight from the
 * seq'd transcript their clients resume from. A crash anywhere leaves either a pending inbox row
 * (the turn reruns) or committed replies still to deliver (sent, or fetched by resume) — never
 * both, never neither.
 */
@injectable()
export class DeliveryEngine {
  readonly #sends = new KeyedSerialQueue()
  /** Per conversation, what its next turn starts from; dropped when a turn fails so it is reread. */
  readonly #states = new Map<string, ConversationState>()
  #cachedMemoryChars = 0
  /** Every pending delay, with what to do if a shutdown cancels it. */
  readonly #delays = new Map<NodeJS.Timeout, (() => void) | undefined>()
  /** Conversations waiting out a Retry-After: nothing of theirs may overtake the reply that waits. */
  readonly #waiting = new Set<string>()
  /** Turns queued or running here. */
  readonly #active = new Set<string>()
  /** Outbox ids being sent right now. */
  readonly #handled = new Set<string>()
  #directory: TenantDirectory = () => undefined
  #closing = false

  constructor(
    @inject(Tokens.DeliveryStore) private readonly store: DeliveryStore,
    @inject(Tokens.Transcript) private readonly transcript: TranscriptRepository,
    @inject(Tokens.ConversationQueue) private readonly turns: KeyedSerialQueue,
    @inject(Tokens.Metrics) private readonly metrics: Metrics,
    @inject(Tokens.Logger) private readonly log: Logger,
    @inject(Tokens.Clock) private readonly clock: Clock,
    @inject(Tokens.GatewayConfig) private readonly config: GatewayConfig,
    @inject(Tokens.Limits) private readonly limits: TenantLimits,
  ) {}

  attach(directory: TenantDirectory): void {
    this.#directory = directory
  }

  get closing(): boolean {
    return this.#closing
  }

  /**
   * Accepts an inbound message within its tenant's budgets (messages per minute, concurrent
   * turns); over one, it is refused with SB_ERR_RATE_LIMITED and a retry hint before anything is
   * stored, and the channel answers with its own "slow down".
   */
  async receive(activity: InboundActivity): Promise<AcceptResult> {
    if (this.#closing) throw sbError('SB_ERR_SHUTTING_DOWN')
    const budget = await this.limits.consumeMessage(activity.tenant)
    if (!budget.ok) throw rateLimited('this service is receiving too many messages; try again shortly', budget.retryAfterMs)
    if (!this.limits.acquireTurn(activity.tenant)) throw rateLimited('too many conversations are being answered right now; try again shortly', 1000)
    let turn: InboundRecord | undefined
    try {
      const accepted = await this.#accept(activity)
      turn = accepted.turn
      return accepted.result
    } finally {
      // The slot goes with the turn it admitted, or back at once when there is none to run.
      if (turn) this.#schedule(turn, { holdsSlot: true })
      else this.limits.releaseTurn(activity.tenant)
    }
  }

  /** Stores the message (or finds it stored before) and says which turn, if any, must run now. */
  async #accept(activity: InboundActivity): Promise<{ result: AcceptResult; turn?: InboundRecord }> {
    const record: InboundRecord = {
      tenant: activity.tenant,
      instance: activity.instance,
      platformMsgId: activity.id,
      conversationId: activity.conversation.id,
      turnId: newId('t_'),
      messageId: newId('m_'),
      activity,
      receivedAt: new Date(this.clock.now()),
    }
    let result: AcceptResult
    try {
      result = await this.store.accept(record)
    } catch (error) {
      this.log.error({ err: error, tenant: activity.tenant, channel: activity.channel }, 'could not accept an inbound message')
      throw isStoreUnavailable(error) ? sbError('SB_ERR_STORE_UNAVAILABLE', undefined, [], error) : sbError('SB_ERR_INTERNAL', 'the message could not be stored', [], error)
    }
    this.metrics.messages.inc({ tenant: activity.tenant, channel: activity.channel, direction: 'in', outcome: result.status })
    if (result.status === 'duplicate') {
      this.metrics.inboxDuplicates.inc({ tenant: activity.tenant, channel: activity.channel })
      // Accepted earlier but stranded (its turn failed and nothing here is working on it): try again.
      const stranded = !result.done && !this.#active.has(result.turnId)
      return { result, turn: stranded ? { ...record, turnId: result.turnId, messageId: result.messageId } : undefined }
    }
    return { result, turn: record }
  }

  /**
   * Replays what a crash or restart interrupted for one tenant: pending replies, then pending
   * turns. Called when the tenant starts, so a tenant added later, or served by another process,
   * recovers its own work and nobody else's.
   */
  async recover(tenant: string): Promise<{ turns: number; replies: number }> {
    // Replies first: they belong to earlier turns, so they go out before anything a rerun turn
    // says, and are counted before a rerun turn can add fresh ones to the outbox.
    let replies = 0
    for (const backlog of await this.store.outboxBacklog(tenant)) {
      replies += backlog.pending
      const wait = backlog.dueAt.getTime() - this.clock.now()
      if (wait > 0) this.#retryLater(backlog.tenant, backlog.conversationId, wait)
      else this.#flushConversation(backlog.tenant, backlog.conversationId)
    }
    let turns = 0
    for (let after: string | undefined, page; (page = await this.store.pendingTurns(tenant, after)).length > 0; after = page.at(-1)!.turnId) {
      for (const record of page) {
        if (this.#active.has(record.turnId)) continue
        if (record.attempts > this.config.inbox.maxAttempts) {
          this.log.error({ tenant: record.tenant, turn: record.turnId }, 'turn failed on every attempt; set aside as failed')
          await this.store.failTurn(record)
          continue
        }
        record.activity = { ...record.activity, at: new Date(record.activity.at) }
        this.#schedule(record)
        turns++
      }
    }
    return { turns, replies }
  }

  /**
   * Writes a message into a conversation from outside its turns: committed to the transcript (and
   * the outbox, for channels without resume) on the conversation's own queue, so it takes its place
   * in seq order between the bot's replies, then sent on the conversation's channel like they are.
   */
  async deliver(input: DeskDelivery): Promise<{ messageId: string; seq: number }[]> {
    if (this.#closing) throw sbError('SB_ERR_SHUTTING_DOWN')
    const instance = await this.store.conversationInstance(input.tenant, input.conversationId)
    if (instance === undefined) throw sbError('SB_ERR_NOT_FOUND', 'no such conversation', [{ path: 'conversationId', message: `unknown conversation ${input.conversationId}` }])
    const channel = this.#directory(input.tenant)?.channel(instance)
    if (!channel) throw sbError('SB_ERR_CHANNEL_UNAVAILABLE', `the channel instance "${instance}" of this conversation is not running`)
    const key = conversationKey(input.tenant, input.conversationId)
    return this.turns.call(key, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#commitDesk(input, instance, channel)
        } catch (error) {
          this.#forget(key)
          if (attempt >= DELIVER_ATTEMPTS || !isDataError(error)) throw error
        }
      }
    })
  }

  async #commitDesk(input: DeskDelivery, instance: string, channel: ChannelTarget): Promise<{ messageId: string; seq: number }[]> {
    const key = conversationKey(input.tenant, input.conversationId)
    const before = await this.#conversationState(input.tenant, input.conversationId)
    const reply: Reply = { parts: input.parts ?? [{ type: 'text', text: input.text }], ...input.hints }
    const messages = outboundMessages([reply], channel.capabilities, before.seq, new Date(this.clock.now()))
    const seq = messages.at(-1)?.seq ?? before.seq
    const turnId = newId('d_')
    const outbox = !channel.capabilities.resumable
    await this.store.commitMessages({
      tenant: input.tenant,
      conversationId: input.conversationId,
      instance,
      turnId,
      sender: input.sender,
      annotations: { ...input.annotations, ...(input.sender.name ? { senderName: input.sender.name } : {}) },
      messages,
      outbox,
    })
    this.#remember(key, { seq, memory: before.memory })
    const items = messages.map((m) => toItem({ tenant: input.tenant, conversationId: input.conversationId, instance, turnId }, m))
    void this.#sends.run(key, () => (outbox ? this.#send(items, channel) : this.#push(items, channel)))
    return messages.map((m) => ({ messageId: m.id, seq: m.seq }))
  }

  /** Stops accepting, waits (bounded) for running turns and sends, and flushes queued writes. */
  async close(graceMs: number): Promise<boolean> {
    this.#closing = true
    for (const [timer, onCancel] of this.#delays) {
      clearTimeout(timer)
      onCancel?.()
    }
    this.#delays.clear()
    const turnsDone = await this.turns.drain(graceMs)
    const sendsDone = await this.#sends.drain(Math.max(100, graceMs / 4))
    // Bounded too: with the database gone, queued writes must not hold the process forever.
    const flushed = await Promise.race([this.store.flush().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(1000, graceMs / 2)).unref())])
    return turnsDone && sendsDone && flushed
  }

  /**
   * Queues a turn behind its conversation's earlier ones. A turn that cannot complete is retried
   * with backoff inside its own slot, so a later message never overtakes it; after maxAttempts (or
   * on shutdown) it stays pending for the next start.
   */
  #schedule(record: InboundRecord, options: { holdsSlot?: boolean } = {}): void {
    this.#active.add(record.turnId)
    void this.turns.run(conversationKey(record.tenant, record.conversationId), async () => {
      try {
        for (let attempt = 1; ; attempt++) {
          const finished = await this.#runTurn(record).catch((error) => {
            this.log.error({ err: error, tenant: record.tenant, turn: record.turnId, attempt }, 'turn could not be completed; it stays pending')
            return false
          })
          if (finished || this.#closing || attempt >= this.config.inbox.maxAttempts) return
          this.#forget(conversationKey(record.tenant, record.conversationId))
          await this.#pause(Math.min(30_000, 500 * 2 ** attempt))
        }
      } finally {
        this.#active.delete(record.turnId)
        if (options.holdsSlot) this.limits.releaseTurn(record.tenant)
      }
    })
  }

  /** A delay that a shutdown cuts short. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.#later(ms, resolve, resolve))
  }

  /** Runs one turn to its commit; false when it must be tried again (it is still pending). */
  async #runTurn(record: InboundRecord): Promise<boolean> {
    const { activity } = record
    const target = this.#directory(record.tenant)
    const channel = target?.channel(record.instance)
    if (!target || !channel) {
      this.log.warn({ tenant: record.tenant, instance: record.instance, turn: record.turnId }, 'no running channel for a pending turn')
      return false
    }
    const started = performance.now()
    const seqKey = conversationKey(record.tenant, record.conversationId)
    const before = await this.#conversationState(record.tenant, record.conversationId)
    const answer = await this.#answer(record, target, channel, JSON.parse(before.memory) as Record<string, unknown>)
    if (!answer) return false
    const memory = this.#changedMemory(record, before.memory, answer.memory)
    const messages = outboundMessages(answer.replies, channel.capabilities, before.seq, new Date(this.clock.now()))
    const seq = messages.at(-1)?.seq ?? before.seq
    const committed = await this.store.commitTurn({
      inbound: record,
      botId: BOT_ID,
      annotations: answer.annotations,
      ...(memory !== undefined ? { memory: JSON.parse(memory) as Record<string, unknown> } : {}),
      replies: messages,
      outbox: !channel.capabilities.resumable,
    })
    if (!committed) {
      // Completed before (a redelivery raced the first run): its answer is already out.
      this.#forget(seqKey)
      return true
    }
    this.#remember(seqKey, { seq, memory: memory ?? before.memory })
    this.metrics.turnDuration.observe({ tenant: record.tenant, channel: activity.channel }, (performance.now() - started) / 1000)
    if (messages.length > 0) {
      const items = messages.map((m) => toItem(record, m))
      void this.#sends.run(seqKey, () => (channel.capabilities.resumable ? this.#push(items, channel) : this.#send(items, channel)))
    }
    return true
  }

  /**
   * Runs the tenant's pipeline for one turn under its deadline, with a typing indicator for slow
   * turns. A failure or timeout becomes an apology; undefined when a stop interrupted it (it reruns).
   */
  async #answer(
    record: InboundRecord,
    target: TurnTarget,
    channel: ChannelTarget,
    memory: Record<string, unknown>,
  ): Promise<{ replies: Reply[]; annotations: Record<string, unknown>; memory: Record<string, unknown> } | undefined> {
    const { activity } = record
    const log = target.log.child({ turn: record.turnId, channel: activity.channel, instance: record.instance, conversation: record.conversationId, message: activity.id })
    // One controller per turn, both timers cleared when it ends: AbortSignal.any() on the
    // long-lived tenant signal keeps every derived signal alive on Node 20 (nodejs/node#55351).
    const controller = new AbortController()
    let timedOut = false
    const deadline = setTimeout(() => {
      timedOut = true
      controller.abort(new Error(`turn exceeded ${this.config.turns.timeoutMs} ms`))
    }, this.config.turns.timeoutMs)
    const stopTurn = () => controller.abort(target.signal.reason)
    target.signal.addEventListener('abort', stopTurn, { once: true })
    const { connection } = channel
    const stream = channel.capabilities.streaming && connection.stream ? (delta: string) => connection.stream!(record.conversationId, record.turnId, delta) : undefined
    const turn = createTurn({ id: record.turnId, activity, log, signal: controller.signal, deadline: Date.now() + this.config.turns.timeoutMs, memory, stream })
    // Typing only for turns slow enough for a person to notice; fast answers need no indicator.
    let typing = false
    const showTyping = () => {
      typing = true
      channel.connection.typing?.(record.conversationId, true)
    }
    const typingTimer = this.config.turns.typingDelayMs > 0 ? setTimeout(showTyping, this.config.turns.typingDelayMs) : (showTyping(), undefined)
    let replies: Reply[]
    const work = target.pipeline.run(turn)
    try {
      replies = await untilAborted(work, controller.signal)
    } catch (error) {
      if (!timedOut && (target.signal.aborted || this.#closing)) {
        // Stopped by a shutdown or reload, not by its own failure: it reruns, nobody gets an apology.
        log.info('turn interrupted by a stop; it stays pending')
        return undefined
      }
      this.metrics.turnErrors.inc({ tenant: record.tenant, channel: activity.channel })
      log.error({ err: error }, 'turn failed; answering with an apology')
      // A plugin that ignores the abort keeps running: give it a bounded moment to stop, so the
      // conversation's next turn does not overlap it.
      if (timedOut) await settledWithin(work, LATE_TURN_GRACE_MS)
      turn.annotations.error = isSwitchboardError(error) ? error.code : 'SB_ERR_TURN_FAILED'
      replies = [apologyReply(activity.locale ?? target.locale)]
    } finally {
      clearTimeout(deadline)
      clearTimeout(typingTimer)
      target.signal.removeEventListener('abort', stopTurn)
      if (typing) channel.connection.typing?.(record.conversationId, false)
    }
    return { replies, annotations: turn.annotations, memory: turn.memory }
  }

  async #conversationState(tenant: string, conversationId: string): Promise<ConversationState> {
    const key = conversationKey(tenant, conversationId)
    const cached = this.#states.get(key)
    if (cached !== undefined) return cached
    const { lastSeq, memory } = await this.transcript.turnState(tenant, conversationId)
    const state = { seq: lastSeq, memory: JSON.stringify(memory) }
    this.#remember(key, state)
    return state
  }

  #forget(key: string): void {
    this.#cachedMemoryChars -= this.#states.get(key)?.memory.length ?? 0
    this.#states.delete(key)
  }

  #remember(key: string, state: ConversationState): void {
    this.#cachedMemoryChars += state.memory.length - (this.#states.get(key)?.memory.length ?? 0)
    this.#states.set(key, state)
    if (this.#states.size > MAX_CACHED_STATES || this.#cachedMemoryChars > MAX_CACHED_MEMORY_CHARS) {
      // Crude but safe: everything can be reread from the database.
      this.#states.clear()
      this.#cachedMemoryChars = 0
    }
  }

  /** The memory to save, as JSON, or undefined when the turn left it as it was (or broke it). */
  #changedMemory(record: InboundRecord, before: string, after: Record<string, unknown>): string | undefined {
    let json: string
    try {
      json = JSON.stringify(after)
    } catch (error) {
      this.log.error({ err: error, tenant: record.tenant, turn: record.turnId }, 'conversation memory is not JSON; left unchanged')
      return undefined
    }
    if (json === before) return undefined
    if (Buffer.byteLength(json) > MAX_MEMORY_BYTES) {
      this.log.error({ tenant: record.tenant, turn: record.turnId, keys: Object.keys(after) }, `conversation memory over ${MAX_MEMORY_BYTES} bytes; left unchanged`)
      return undefined
    }
    return json
  }

  #flushConversation(tenant: string, conversationId: string): void {
    void this.#sends.run(conversationKey(tenant, conversationId), async () => {
      const items = await this.store.pendingOutbox({ tenant, conversationId, dueBefore: new Date(this.clock.now()) })
      const first = items[0]
      if (!first) {
        // Pending but not due yet (a Retry-After written after this flush was planned, e.g. the
        // last write of a previous process): come back when it is due rather than never.
        const key = conversationKey(tenant, conversationId)
        const due = this.#waiting.has(key) ? undefined : await this.store.nextDue(tenant, conversationId)
        if (due) this.#retryLater(tenant, conversationId, Math.max(0, due.getTime() - this.clock.now()))
        return
      }
      const channel = this.#directory(tenant)?.channel(first.instance)
      if (channel) await this.#send(items, channel)
    })
  }

  /** Live delivery to a resumable channel: whatever does not arrive now, the client fetches by seq. */
  async #push(items: OutboxItem[], channel: ChannelTarget): Promise<void> {
    for (const item of items) await this.#handOver(item, channel)
  }

  /** One send attempt, counted; a throw is an ambiguous failure (the platform may have it). */
  async #handOver(item: OutboxItem, channel: ChannelTarget): Promise<SendOutcome> {
    let outcome: SendOutcome
    try {
      outcome = await channel.connection.send(toDelivery(item))
    } catch (error) {
      outcome = { status: 'unknown', error: (error as Error).message }
    }
    this.metrics.messages.inc({ tenant: item.tenant, channel: channel.type, direction: 'out', outcome: outcome.status })
    return outcome
  }

  /** Sends in seq order; stops at the first reply that must wait so order is never broken. */
  async #send(items: OutboxItem[], channel: ChannelTarget): Promise<void> {
    for (const item of items) {
      // Still pending in the outbox; the flush after the wait sends it in order.
      if (this.#waiting.has(conversationKey(item.tenant, item.conversationId))) return
      // A flush and the turn's own send can both hold the same reply; only the first sends it.
      if (this.#handled.has(item.id)) continue
      this.#handled.add(item.id)
      const outcome = await this.#handOver(item, channel)
      if (outcome.status === 'sent') {
        void this.store
          .markSent(item)
          .catch((error) => this.log.error({ err: error, outbox: item.id }, 'could not mark reply sent'))
          .finally(() => this.#handled.delete(item.id))
        continue
      }
      this.#handled.delete(item.id)
      if (outcome.status === 'deferred') {
        // Parked, not pending: the visitor gets it by resuming, and the backlog alert stays meaningful.
        await this.store.markAttempt(item, { status: 'parked', error: 'no connected recipient' })
        continue
      }
      if (outcome.status === 'retry') {
        // One 429 is routine; a reply that keeps failing (a DNS or egress problem, a revoked token) is not.
        if (item.attempts + 1 >= NOTICEABLE_RETRIES) this.log.warn({ tenant: item.tenant, outbox: item.id, attempt: item.attempts + 1, error: outcome.error }, 'reply still not delivered; retrying')
        await this.store.markAttempt(item, { status: 'pending', error: outcome.error, retryAt: new Date(this.clock.now() + outcome.afterMs) })
        this.#retryLater(item.tenant, item.conversationId, outcome.afterMs)
        return
      }
      await this.store.markAttempt(item, { status: outcome.status, error: outcome.error })
      this.log.error({ tenant: item.tenant, outbox: item.id, status: outcome.status, error: outcome.error }, 'reply not delivered')
    }
  }

  #retryLater(tenant: string, conversationId: string, afterMs: number): void {
    const key = conversationKey(tenant, conversationId)
    this.#waiting.add(key)
    this.#later(afterMs, () => {
      this.#waiting.delete(key)
      this.#flushConversation(tenant, conversationId)
    })
  }

  /** Runs `task` after a delay unless the engine closes first (then `onCancel`, if any). */
  #later(afterMs: number, task: () => void, onCancel?: () => void): void {
    if (this.#closing) return onCancel?.()
    const timer = setTimeout(() => {
      this.#delays.delete(timer)
      task()
    }, afterMs)
    timer.unref()
    this.#delays.set(timer, onCancel)
  }
}

/** Replies rendered for the channel, as numbered messages following the conversation's last seq. */
const outboundMessages = (replies: readonly Reply[], capabilities: ChannelCapabilities, lastSeq: number, createdAt: Date): OutboundMessage[] =>
  renderReplies(replies, capabilities).map(({ parts, hints }, i) => ({
    id: newId('m_'),
    seq: lastSeq + i + 1,
    parts,
    text: plainText(parts),
    ...(hints ? { hints } : {}),
    createdAt,
  }))

const toDelivery = (item: OutboxItem): OutboundDelivery => ({
  id: item.id,
  seq: item.seq,
  turnId: item.turnId,
  conversationId: item.conversationId,
  parts: item.parts,
  text: item.text,
  ...(item.hints && Object.keys(item.hints).length > 0 ? { hints: item.hints } : {}),
  createdAt: item.createdAt,
  attempt: item.attempts + 1,
})

const toItem = (record: Pick<InboundRecord, 'tenant' | 'conversationId' | 'instance' | 'turnId'>, m: OutboundMessage): OutboxItem => ({
  id: m.id,
  tenant: record.tenant,
  conversationId: record.conversationId,
  instance: record.instance,
  seq: m.seq,
  attempts: 0,
  turnId: record.turnId,
  parts: m.parts,
  text: m.text,
  ...(m.hints ? { hints: m.hints } : {}),
  createdAt: m.createdAt,
})

/** Settles with `work`, or rejects when the signal aborts first; never leaves a listener behind. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

const settledWithin = (work: Promise<unknown>, ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    work.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    )
  })

const abortError = (signal: AbortSignal) =>
  sbError('SB_ERR_TURN_FAILED', `turn aborted: ${String((signal.reason as Error | undefined)?.message ?? signal.reason)}`)
