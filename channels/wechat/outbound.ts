import type { Logger } from 'pino'
import { partToText, SendProgress, splitText, type ConversationLinks, type OutboundDelivery, type Part, type RateGovernor, type SendOutcome } from '../../core/index.js'
import type { ApiMessage, WeChatApi } from './api.js'
import { mediaOf } from './inbound.js'
import { failureVerdict, verdictOf, type Verdict } from './outcome.js'
import type { PassiveReplies } from './passive-reply.js'

/**
 * Pure: the API messages that show one outbox message. Text, numbered choices and links to
 * images elsewhere are joined into as few texts as fit `maxLength` (every message counts against
 * the user's quota); an image this app received is sent back by its MediaId.
 */
export function planMessages(parts: readonly Part[], instance: string, maxLength: number): ApiMessage[] {
  const messages: ApiMessage[] = []
  let text: string[] = []
  const flush = () => {
    const joined = text.join('\n\n')
    text = []
    if (joined.trim() !== '') for (const chunk of splitText(joined, maxLength)) messages.push({ msgtype: 'text', content: chunk })
  }
  for (const part of parts) {
    const media = part.type === 'image' ? mediaOf(part.url) : undefined
    if (media && media.instance === instance) {
      flush()
      messages.push({ msgtype: 'image', mediaId: media.mediaId })
    } else text.push(partToText(part))
  }
  flush()
  return messages
}

export interface SenderDeps {
  api: WeChatApi
  links: ConversationLinks
  governor: RateGovernor
  passive: PassiveReplies
  instance: string
  maxLength: number
  /** The user cannot be reached: audited and counted by the caller. */
  undeliverable(delivery: OutboundDelivery, reason: string, detail: string): void
  throttled(source: 'platform' | 'governor'): void
  log: Logger
}

/**
 * Sends outbox messages to the user the conversation belongs to: the first message of a turn as
 * the passive reply when its callback still waits, everything else through the API.
 */
export class WeChatSender {
  /** Messages already sent of replies that had to stop part-way. */
  readonly #done = new SendProgress<number>()

  constructor(private readonly deps: SenderDeps) {}

  async send(delivery: OutboundDelivery): Promise<SendOutcome> {
    let user: string | undefined
    try {
      user = (await this.deps.links.target(delivery.conversationId))?.externalId
    } catch (error) {
      return { status: 'retry', afterMs: 1000, error: `conversation lookup failed: ${(error as Error).message}` }
    }
    if (!user) return { status: 'failed', error: 'no WeChat user is linked to this conversation' }
    const messages = planMessages(delivery.parts, this.deps.instance, this.deps.maxLength)
    if (messages.length === 0) return { status: 'failed', error: 'the reply has nothing WeChat can show (blank text)' }
    const first = messages[0]!
    if (messages.length === 1 && first.msgtype === 'text') {
      const passive = await this.deps.passive.offer(delivery.turnId, first.content)
      if (passive === 'sent') return { status: 'sent' }
      if (passive === 'unknown') return { status: 'unknown', error: 'the connection closed while the passive reply was written' }
    } else this.deps.passive.pass(delivery.turnId)
    for (let i = this.#done.get(delivery.id) ?? 0; i < messages.length; i++) {
      const wait = await this.deps.governor.take({ user, app: 'app' }).catch(() => 0)
      if (wait > 0) {
        this.deps.throttled('governor')
        this.#progress(delivery.id, i)
        return { status: 'retry', afterMs: wait, error: 'held back by the rate governor' }
      }
      const verdict = await this.deps.api.send(user, messages[i]!).then(
        (answer) => verdictOf(answer, delivery.attempt),
        (error: unknown) => failureVerdict(error, delivery.attempt),
      )
      if (verdict.outcome.status === 'sent') continue
      return this.#stop(delivery, i, verdict)
    }
    this.#done.forget(delivery.id)
    return { status: 'sent' }
  }

  /** Shows "typing…" to a conversation's user, best effort: it never delays a reply. */
  async showTyping(conversationId: string): Promise<void> {
    try {
      const link = await this.deps.links.target(conversationId)
      if (!link || (await this.deps.governor.take({ app: 'app' })) > 0) return
      await this.deps.api.typing(link.externalId, true)
    } catch (error) {
      this.deps.log.debug({ err: { message: (error as Error).message }, conversation: conversationId }, 'typing indicator not shown')
    }
  }

  #stop(delivery: OutboundDelivery, index: number, verdict: Verdict): SendOutcome {
    if (verdict.throttled) this.deps.throttled('platform')
    if (verdict.outcome.status === 'retry') this.#progress(delivery.id, index)
    else this.#done.forget(delivery.id)
    if (verdict.undeliverable) this.deps.undeliverable(delivery, verdict.undeliverable.reason, verdict.undeliverable.detail)
    return verdict.outcome
  }

  #progress(id: string, sent: number): void {
    if (sent === 0) this.#done.forget(id)
    else this.#done.keep(id, sent)
  }
}
