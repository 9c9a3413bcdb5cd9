import type { Logger } from 'pino'
import { z } from 'zod'
import { SendProgress, type ConversationLinks, type Metrics, type OutboundDelivery, type RateGovernor, type RateRule, type SendOutcome } from '../../core/index.js'
import type { ConnectorAnswer, ConnectorClient } from './client.js'
import type { TeamsReference } from './inbound.js'
import { failureOutcome, stepOf, type RetryPolicy } from './outcome.js'
import { renderActivities, type OutgoingActivity } from './render.js'
import type { ServiceUrlAllowlist } from './service-urls.js'
import type { SlidingWindows } from './sliding-windows.js'

/** The stored reference, checked before it is trusted (it may predate a change of this code). */
const StoredReference = z.looseObject({
  serviceUrl: z.string().min(1),
  conversation: z.looseObject({ id: z.string().min(1), conversationType: z.string().optional() }),
})

export interface SenderDeps {
  tenant: string
  connector: ConnectorClient
  links: ConversationLinks
  governor: RateGovernor
  /** Bucket names of the governor, all keyed per Teams conversation except the app-wide ones. */
  buckets: { perThread: readonly string[]; perApp: readonly string[] }
  /** The same limits as sliding windows over this replica's own sends (see SlidingWindows). */
  windows: { perThread: SlidingWindows; perApp: SlidingWindows }
  serviceUrls: ServiceUrlAllowlist
  maxMessageBytes: number
  retry: RetryPolicy
  metrics: Metrics
  log: Logger
  now?: () => number
  random?: () => number
}

/** Where one reply stands between attempts: activities already posted, failures and 429s so far. */
interface Progress {
  posted: number
  failures: number
  throttles: number
}

/** The key of app-wide limits. */
const APP = 'app'

/**
 * Sends outbox messages to Teams through the connector client: one activity per text and per
 * attachment, each through the rate governor first, outcomes mapped for the engine. A reply that
 * must wait part-way (governor, 429) resumes after the activities already posted, so nobody sees
 * the first half twice. After a 429 — for a reply or a typing indicator — the conversation is
 * paused for Retry-After.
 */
export class TeamsSender {
  readonly #progress = new SendProgress<Progress>()
  readonly #pausedUntil = new Map<string, number>()
  readonly #now: () => number

  constructor(private readonly deps: SenderDeps) {
    this.#now = deps.now ?? Date.now
  }

  async send(delivery: OutboundDelivery): Promise<SendOutcome> {
    const target = await this.#target(delivery.conversationId)
    if ('outcome' in target) return target.outcome
    const { reference } = target
    const activities = renderActivities(delivery.parts, this.deps.maxMessageBytes)
    const progress = this.#progress.get(delivery.id) ?? { posted: 0, failures: 0, throttles: 0 }
    const paused = this.#pausedFor(delivery.conversationId)
    if (paused > 0) return this.#remember(delivery.id, progress, { status: 'retry', afterMs: paused, error: 'conversation throttled by Teams (Retry-After)' })
    for (let i = progress.posted; i < activities.length; i++) {
      const wait = await this.#pace(reference.conversation.id)
      if (wait > 0) {
        this.deps.metrics.channelThrottled.inc({ tenant: this.deps.tenant, channel: 'teams', source: 'governor' })
        return this.#remember(delivery.id, progress, { status: 'retry', afterMs: wait, error: 'held back by the Teams rate governor' })
      }
      let answer: ConnectorAnswer
      try {
        answer = await this.deps.connector.send(reference.serviceUrl, reference.conversation.id, activities[i]!)
      } catch (error) {
        progress.failures++
        const outcome = failureOutcome(error, progress.failures, this.deps.retry, this.deps.random)
        this.deps.log.warn({ conversation: delivery.conversationId, delivery: delivery.id, outcome: outcome.status, err: error }, 'Teams send got no answer')
        return this.#remember(delivery.id, progress, outcome)
      }
      this.#logAnswer(delivery, answer, activities[i]!)
      const step = stepOf(answer, { failures: progress.failures + 1, throttles: progress.throttles + 1 }, this.deps.retry, this.deps.random)
      if (step.next === 'continue') {
        progress.posted = i + 1
        continue
      }
      if (step.throttled) {
        progress.throttles++
        this.#throttled(delivery.conversationId, step.outcome)
      } else progress.failures++
      return this.#remember(delivery.id, progress, step.outcome)
    }
    this.#progress.forget(delivery.id)
    return { status: 'sent' }
  }

  /**
   * One typing indicator, best effort: dropped rather than queued when the governor or a 429
   * says the conversation is busy (replies matter more), and never sent to channel threads
   * (Teams shows typing in chats only).
   */
  async typing(conversationId: string): Promise<void> {
    if (this.#pausedFor(conversationId) > 0) return
    const target = await this.#target(conversationId)
    if ('outcome' in target || target.reference.conversation.conversationType === 'channel') return
    const { reference } = target
    if ((await this.#pace(reference.conversation.id)) > 0) return
    const answer = await this.deps.connector.send(reference.serviceUrl, reference.conversation.id, { type: 'typing' })
    if (answer.status === 429) this.#throttled(conversationId, { status: 'retry', afterMs: answer.retryAfterMs ?? 1000, error: 'typing throttled' })
    else if (answer.status >= 300) this.deps.log.debug({ conversation: conversationId, status: answer.status, operationId: answer.operationId }, 'typing indicator refused')
  }

  async #target(conversationId: string): Promise<{ reference: TeamsReference } | { outcome: SendOutcome }> {
    let link
    try {
      link = await this.deps.links.target(conversationId)
    } catch (error) {
      return { outcome: { status: 'retry', afterMs: 1000, error: `conversation reference unavailable: ${(error as Error).message}` } }
    }
    const parsed = StoredReference.safeParse(link?.reference)
    if (!parsed.success) return { outcome: { status: 'failed', error: 'no Teams conversation reference is stored for this conversation' } }
    const reference = parsed.data as unknown as TeamsReference
    if (!this.deps.serviceUrls.allows(reference.serviceUrl)) {
      this.deps.log.error({ conversation: conversationId, serviceUrl: reference.serviceUrl }, 'stored serviceUrl is not in the allowlist; not sending')
      return { outcome: { status: 'failed', error: `serviceUrl ${reference.serviceUrl} is not allowlisted` } }
    }
    return { reference }
  }

  /**
   * 0 when one more request to this Teams conversation may go now (and it is counted), else the
   * milliseconds to wait: this replica's sliding windows first, then the shared governor.
   */
  async #pace(teamsConversationId: string): Promise<number> {
    const { windows, buckets, governor } = this.deps
    const local = Math.max(windows.perThread.waitMs(teamsConversationId), windows.perApp.waitMs(APP))
    if (local > 0) return local
    const keys: Record<string, string> = {}
    for (const name of buckets.perThread) keys[name] = teamsConversationId
    for (const name of buckets.perApp) keys[name] = APP
    const shared = await governor.take(keys)
    if (shared > 0) return shared
    windows.perThread.record(teamsConversationId)
    windows.perApp.record(APP)
    return 0
  }

  #pausedFor(conversationId: string): number {
    const until = this.#pausedUntil.get(conversationId)
    if (until === undefined) return 0
    const left = until - this.#now()
    if (left <= 0) this.#pausedUntil.delete(conversationId)
    return Math.max(0, left)
  }

  #throttled(conversationId: string, outcome: SendOutcome): void {
    this.deps.metrics.channelThrottled.inc({ tenant: this.deps.tenant, channel: 'teams', source: 'platform' })
    if (outcome.status === 'retry') this.#pausedUntil.set(conversationId, this.#now() + outcome.afterMs)
  }

  #remember(deliveryId: string, progress: Progress, outcome: SendOutcome): SendOutcome {
    if (outcome.status === 'retry') this.#progress.keep(deliveryId, progress)
    else this.#progress.forget(deliveryId)
    return outcome
  }

  #logAnswer(delivery: OutboundDelivery, answer: ConnectorAnswer, activity: OutgoingActivity): void {
    if (answer.status < 300) {
      this.deps.log.debug({ conversation: delivery.conversationId, delivery: delivery.id, id: answer.id, operationId: answer.operationId }, 'sent to Teams')
      return
    }
    const fields = { conversation: delivery.conversationId, delivery: delivery.id, status: answer.status, code: answer.code, operationId: answer.operationId }
    if (answer.status === 413) this.deps.log.error({ ...fields, bytes: JSON.stringify(activity).length * 2 }, 'Teams refused the reply as too large (MessageSizeTooBig); lower maxMessageBytes')
    else if (answer.status === 429) this.deps.log.info({ ...fields, retryAfterMs: answer.retryAfterMs }, 'Teams throttled a send')
    else this.deps.log.warn(fields, 'Teams refused a send')
  }
}

/** The governor's rules from the config's limits, with the bucket names the sender keys. */
export function governorRules(limits: { perThread: readonly RateRule[]; perApp: readonly RateRule[] }) {
  const rules: Record<string, RateRule> = {}
  const perThread = limits.perThread.map((rule, i) => ((rules[`thread${i}`] = rule), `thread${i}`))
  const perApp = limits.perApp.map((rule, i) => ((rules[`app${i}`] = rule), `app${i}`))
  return { rules, buckets: { perThread, perApp } }
}
