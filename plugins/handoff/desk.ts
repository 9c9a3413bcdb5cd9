import {
  TICKET_TRANSITIONS,
  sbError,
  tellCustomer,
  type Actor,
  type Handoff,
  type HandoffDesk,
  type NewHandoff,
  type Note,
  type Part,
  type QueuedHandoff,
  type TicketStatus,
} from '../../core/index.js'
import { auditDesk } from '../support/audit.js'
import { preferredLanguage } from '../support/language.js'
import { priorityRank } from '../support/open-ticket.js'
import type { DeskServices } from '../support/services.js'
import type { LiveHandoffs } from './live-handoffs.js'
import type { HandoffConfig } from './manifest.js'
import { agentJoined, queuePosition, type DeskMessages } from './messages.js'
import { expectedWaitMinutes, minutesPerPosition } from './wait-estimate.js'

/** Who holds a call that went to the phone line: nobody in the console queue. */
export const PHONE_TRANSFER: Actor = { type: 'system', id: 'phone-transfer', name: 'Phone transfer' }
/** How the desk signs what it tells customers itself. */
const DESK_SENDER = { id: 'handoff', role: 'system' as const }
/** Recent handoffs the wait estimate learns from, and how long one estimate is reused. */
const WAIT_HISTORY = 50
const WAIT_ESTIMATE_TTL_MS = 60_000

/**
 * What agents do with the tenant's queue (the console and the admin API call it). Every move is a
 * guarded UPDATE in the store, so two agents or two replicas cannot both win; the desk adds what
 * follows a move: the customer is told, the console hears it, metrics count it. An agent's action
 * is audited by the admin route it came through (with its request id); the desk audits only what
 * happens without one: entering the queue, and ends nobody asked for.
 */
export class Desk implements HandoffDesk {
  #waitEstimate: { minutes: number; until: number } | undefined

  constructor(
    private readonly s: DeskServices,
    private readonly config: HandoffConfig,
    private readonly live: LiveHandoffs,
    private readonly messages: Record<string, DeskMessages>,
  ) {}

  queue(): Promise<QueuedHandoff[]> {
    return this.s.handoffs.queue(this.s.tenant)
  }

  take(agent: Actor, handoffId?: string): Promise<Handoff | undefined> {
    return this.assign(agent, handoffId, { announce: true })
  }

  async reply(agent: Actor, handoffId: string, text: string): Promise<{ messageId: string; seq: number }> {
    const handoff = this.#ownedBy(agent, await this.#get(handoffId))
    const [first] = await tellCustomer(this.s.delivery, this.s.events, { tenant: this.s.tenant, conversationId: handoff.conversationId, text, sender: { id: agent.id, role: 'agent', ...(agent.name ? { name: agent.name } : {}) } }, this.#now())
    const now = this.#now()
    const updated = await this.s.handoffs.agentReplied(this.s.tenant, handoff.id, now)
    // The store keeps the first time it was told: only the reply that set it counts, even when
    // two replies race.
    if (updated.firstResponseAt?.getTime() === now.getTime() && !handoff.firstResponseAt) {
      this.s.metrics.handoffFirstResponse.observe({ tenant: this.s.tenant, vip: String(handoff.vipLevel) }, seconds(handoff.queuedAt, now))
      if (handoff.ticketId) await this.#stopFirstResponseClock(handoff.ticketId)
    }
    this.#changed(updated)
    return first!
  }

  /** Consoles show the SLA clock: they hear that it stopped. */
  async #stopFirstResponseClock(ticketId: string): Promise<void> {
    try {
      await this.s.tickets.markFirstResponse(this.s.tenant, ticketId)
      const ticket = await this.s.tickets.get(this.s.tenant, ticketId)
      if (ticket) this.s.events.publish(this.s.tenant, { type: 'ticket', ticket })
    } catch (error) {
      this.s.log.warn({ err: error, ticket: ticketId }, 'could not stop the ticket’s first-response clock')
    }
  }

  async note(agent: Actor, conversationId: string, text: string): Promise<Note> {
    const note = await this.s.notes.add(this.s.tenant, conversationId, agent, text)
    this.s.events.publish(this.s.tenant, { type: 'note', note })
    return note
  }

  async resolve(agent: Actor, handoffId: string, options: { ticketStatus?: 'resolved' | 'pending' | 'in_progress' } = {}): Promise<Handoff> {
    const handoff = this.#ownedBy(agent, await this.#get(handoffId))
    const ended = await this.s.handoffs.end(this.s.tenant, handoff.id, 'resolved', 'resolved by agent', this.#now())
    this.#changed(ended)
    this.s.metrics.handoffs.inc({ tenant: this.s.tenant, reason: handoff.reason, outcome: 'resolved' })
    if (handoff.ticketId) await this.#moveTicket(agent, handoff.ticketId, options.ticketStatus ?? 'resolved')
    const m = this.messagesFor(handoff)
    await this.tell(handoff.conversationId, m.resolved)
    if (this.config.askForRating) await this.tell(handoff.conversationId, m.rate, [ratingChoice(m.rate)])
    return ended
  }

  async release(agent: Actor, handoffId: string): Promise<Handoff> {
    const handoff = this.#ownedBy(agent, await this.#get(handoffId))
    const released = await this.s.handoffs.release(this.s.tenant, handoff.id, agent)
    this.#changed(released)
    return released
  }

  async open(actor: Actor, conversationId: string, reason: string): Promise<Handoff> {
    const conversation = await this.s.conversations.get(this.s.tenant, conversationId)
    if (!conversation) throw sbError('SB_ERR_NOT_FOUND', `no conversation ${conversationId}`, [{ path: 'conversation', message: 'no such conversation' }])
    const [customer, ticket] = await Promise.all([this.s.customers.forConversation(this.s.tenant, conversationId), this.s.tickets.openForConversation(this.s.tenant, conversationId)])
    const { handoff, created } = await this.enqueue(actor, {
      conversationId,
      channel: conversation.channel,
      instance: conversation.instance,
      reason,
      vipLevel: customer?.vipLevel ?? 0,
      ...(customer ? { customerId: customer.id } : {}),
      ...(ticket ? { ticketId: ticket.id, ticketPriority: priorityRank(ticket.priority) } : {}),
      language: preferredLanguage([conversation.locale, customer?.language], Object.keys(this.messages), this.s.locale),
    })
    if (created) {
      const m = this.messagesFor(handoff)
      await this.tell(conversationId, `${m.connecting} ${await this.positionText(handoff)}`)
    }
    return handoff
  }

  /** Enters the queue (or finds the conversation already in it), and records that it did. */
  async enqueue(actor: Actor, input: NewHandoff): Promise<{ handoff: Handoff; created: boolean }> {
    const entered = await this.s.handoffs.enqueue(this.s.tenant, input, this.#now())
    this.live.remember(entered.handoff)
    if (entered.created) {
      this.s.metrics.handoffs.inc({ tenant: this.s.tenant, reason: input.reason, outcome: 'queued' })
      auditDesk(this.s, actor, 'handoff.queued', entered.handoff.id, { conversationId: input.conversationId, reason: input.reason, vipLevel: input.vipLevel })
      this.s.events.publish(this.s.tenant, { type: 'handoff', handoff: entered.handoff })
    }
    return entered
  }

  /** Assigns a handoff; a phone transfer takes it silently (the caller is already being put through). */
  async assign(agent: Actor, handoffId: string | undefined, options: { announce: boolean }): Promise<Handoff | undefined> {
    const at = this.#now()
    const handoff = await this.s.handoffs.take(this.s.tenant, agent, handoffId, at)
    // Taking what one already holds (a double click) changes nothing and is told to nobody again.
    if (!handoff || handoff.assignedAt?.getTime() !== at.getTime()) return handoff
    this.#changed(handoff)
    this.s.metrics.handoffs.inc({ tenant: this.s.tenant, reason: handoff.reason, outcome: 'taken' })
    if (!options.announce) return handoff
    this.s.metrics.handoffWait.observe({ tenant: this.s.tenant, vip: String(handoff.vipLevel) }, seconds(handoff.queuedAt, at))
    if (handoff.ticketId) await this.#moveTicket(agent, handoff.ticketId, 'in_progress', agent.id)
    await this.tell(handoff.conversationId, agentJoined(this.messagesFor(handoff), agent.name ?? agent.id))
    return handoff
  }

  /** Ends a handoff without an agent's say (timeout, idle, hang-up); false when another replica ended it first. */
  async end(handoff: Handoff, state: 'resolved' | 'abandoned', reason: string): Promise<boolean> {
    let ended: Handoff
    try {
      ended = await this.s.handoffs.end(this.s.tenant, handoff.id, state, reason, this.#now())
    } catch (error) {
      if ((error as { code?: string }).code === 'SB_ERR_HANDOFF_ENDED') return false
      throw error
    }
    this.#changed(ended)
    this.s.metrics.handoffs.inc({ tenant: this.s.tenant, reason: handoff.reason, outcome: state })
    auditDesk(this.s, { type: 'system', id: 'handoff-sweeper' }, state === 'resolved' ? 'handoff.resolve' : 'handoff.abandon', handoff.id, { conversationId: handoff.conversationId, reason })
    return true
  }

  /** What a waiting customer is told about their place in line. */
  async positionText(handoff: Handoff): Promise<string> {
    const place = await this.s.handoffs.position(this.s.tenant, handoff.id)
    const position = place?.position ?? 1
    return queuePosition(this.messagesFor(handoff), position, expectedWaitMinutes(position, await this.#waitPerPosition()))
  }

  messagesFor(handoff: Pick<Handoff, 'language'>): DeskMessages {
    return this.messages[handoff.language ?? this.s.locale] ?? this.messages[this.s.locale] ?? this.messages.en!
  }

  /** Tells the customer something on their channel; a channel that is down costs the message, not the action. */
  async tell(conversationId: string, text: string, parts?: Part[]): Promise<void> {
    try {
      await tellCustomer(this.s.delivery, this.s.events, { tenant: this.s.tenant, conversationId, text, ...(parts ? { parts } : {}), sender: DESK_SENDER }, this.#now())
    } catch (error) {
      this.s.log.warn({ err: error, conversation: conversationId }, 'could not tell the customer')
    }
  }

  /** Minutes per place in line: the median of recent waits once there are enough, re-read at most once a minute. */
  async #waitPerPosition(): Promise<number> {
    const now = this.s.clock.now()
    if (this.#waitEstimate && this.#waitEstimate.until > now) return this.#waitEstimate.minutes
    const recent = await this.s.handoffs.list(this.s.tenant, { states: ['assigned', 'agent_active', 'resolved'], limit: WAIT_HISTORY })
    const minutes = minutesPerPosition(
      recent.filter((h) => h.agentId !== PHONE_TRANSFER.id),
      this.config.expectedWaitMinutesPerPosition,
    )
    this.#waitEstimate = { minutes, until: now + WAIT_ESTIMATE_TTL_MS }
    return minutes
  }

  async #moveTicket(agent: Actor, ticketId: string, status: TicketStatus, assignee?: string): Promise<void> {
    try {
      const ticket = await this.s.tickets.get(this.s.tenant, ticketId)
      if (!ticket || ticket.status === status || !TICKET_TRANSITIONS[ticket.status].includes(status)) return
      const updated = await this.s.tickets.update(this.s.tenant, ticket.id, { status, ...(assignee ? { assignee } : {}) }, agent)
      this.s.events.publish(this.s.tenant, { type: 'ticket', ticket: updated })
    } catch (error) {
      this.s.log.warn({ err: error, ticket: ticketId, status }, 'could not move the handoff’s ticket')
    }
  }

  async #get(id: string): Promise<Handoff> {
    const handoff = await this.s.handoffs.get(this.s.tenant, id)
    if (!handoff) throw sbError('SB_ERR_NOT_FOUND', `no handoff ${id}`, [{ path: 'handoff', message: 'no such handoff' }])
    return handoff
  }

  /** Only the agent who took a conversation speaks in it, resolves or releases it. */
  #ownedBy(agent: Actor, handoff: Handoff): Handoff {
    if (handoff.state === 'resolved' || handoff.state === 'abandoned') throw sbError('SB_ERR_HANDOFF_ENDED', `the handoff ended (${handoff.state}); the conversation is back with the bot`)
    if (handoff.state === 'queued') throw sbError('SB_ERR_CONFLICT', 'the conversation is still waiting in the queue; take it first')
    if (handoff.agentId !== agent.id) throw sbError('SB_ERR_ALREADY_TAKEN', `already taken by ${handoff.agentName ?? handoff.agentId}`)
    return handoff
  }

  #changed(handoff: Handoff): void {
    this.live.remember(handoff)
    this.s.events.publish(this.s.tenant, { type: 'handoff', handoff })
  }

  #now(): Date {
    return new Date(this.s.clock.now())
  }
}

const seconds = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000)

/** The rating question as a 1–5 choice: buttons where the channel has them, a numbered list elsewhere. */
const ratingChoice = (question: string): Part => ({ type: 'choice', text: question, options: ['1', '2', '3', '4', '5'].map((n) => ({ title: n, value: n })) })
