import type { Logger } from 'pino'
import { backoffMs, type ConversationLink, type ConversationLinks, type OutboundDelivery, type RateGovernor, type SendOutcome } from '../../../core/index.js'
import type { ChatTarget } from './inbound.js'

/** Sends that never reached the puppet wait from 1 s, doubling up to 5 minutes (a re-login can take that long). */
const RETRY = { minDelayMs: 1000, maxDelayMs: 300_000 }

/** A contact or room as wechaty offers it: something to say text to. */
export interface Sayer {
  say(text: string): Promise<unknown>
}

/** What sending needs from the bot. */
export interface Directory {
  readonly loggedIn: boolean
  /** The contact or room; undefined when the account cannot see it (deleted, left the room). */
  find(chat: ChatTarget): Promise<Sayer | undefined>
}

/** Wechaty room ids end in `@chatroom`; conversations linked before their reference was stored fall back to that. */
export function chatOf(link: ConversationLink): ChatTarget {
  const reference = link.reference ?? {}
  if (typeof reference.roomId === 'string') return { id: reference.roomId, room: true }
  if (typeof reference.contactId === 'string') return { id: reference.contactId, room: false }
  return { id: link.externalId, room: link.externalId.endsWith('@chatroom') }
}

export interface SenderDeps {
  directory: Directory
  links: ConversationLinks
  governor: RateGovernor
  throttled: () => void
  undeliverable: (reason: string) => void
  log: Logger
}

/**
 * Sends outbox messages through the puppet. Wechaty's `say` takes no idempotency key and a puppet
 * service may have delivered a message whose call then failed, so a throw from `say` is
 * `unknown` and never re-posted; everything that fails before it is retried or failed for good.
 */
export class Sender {
  constructor(private readonly deps: SenderDeps) {}

  async send(delivery: OutboundDelivery): Promise<SendOutcome> {
    const { directory, links, governor } = this.deps
    const retry = (error: string): SendOutcome => ({ status: 'retry', afterMs: backoffMs(delivery.attempt, RETRY), error })
    if (!directory.loggedIn) return retry('the WeChat account is not logged in')
    // The outbox hands over text already rendered for a text-only channel: choices as numbered lists.
    const text = delivery.text
    if (text.trim() === '') return { status: 'failed', error: 'the reply has no text to say' }
    let link: ConversationLink | undefined
    try {
      link = await links.target(delivery.conversationId)
    } catch (error) {
      return retry(`conversation lookup failed: ${(error as Error).message}`)
    }
    if (!link) return { status: 'failed', error: 'no WeChat chat is linked to this conversation' }
    const chat = chatOf(link)
    const wait = await governor.take({ chat: chat.id, room: chat.room ? chat.id : undefined, account: 'account' }).catch(() => 0)
    if (wait > 0) {
      this.deps.throttled()
      return { status: 'retry', afterMs: wait, error: 'held back by the rate governor' }
    }
    let target: Sayer | undefined
    try {
      target = await directory.find(chat)
    } catch (error) {
      return retry(`${chat.room ? 'room' : 'contact'} lookup failed: ${(error as Error).message}`)
    }
    if (!target) {
      this.deps.undeliverable(chat.room ? 'room_not_found' : 'contact_not_found')
      return { status: 'failed', error: `the account cannot see this ${chat.room ? 'room' : 'contact'} (any more)` }
    }
    try {
      await target.say(text)
    } catch (error) {
      this.deps.log.warn({ err: error, outbox: delivery.id, conversation: delivery.conversationId }, 'the puppet failed a send it had been handed; not re-sending')
      return { status: 'unknown', error: `say failed after the puppet took it: ${(error as Error).message}` }
    }
    return { status: 'sent' }
  }
}
