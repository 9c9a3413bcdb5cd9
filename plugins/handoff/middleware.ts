import { ticketOpened, type AgentContext, type Handoff, type Turn, type TurnMiddleware } from '../../core/index.js'
import { auditDesk } from '../support/audit.js'
import { customerLanguage } from '../support/language.js'
import { openTicket, priorityRank, subjectFrom } from '../support/open-ticket.js'
import type { DeskServices } from '../support/services.js'
import '../customers/types.js'
import '../intent/types.js'
import '../ticketing/types.js'
import { deskHours } from './business-hours.js'
import { PHONE_TRANSFER, type Desk } from './desk.js'
import type { LiveHandoffs } from './live-handoffs.js'
import type { HandoffConfig } from './manifest.js'
import { backAt, type DeskMessages } from './messages.js'

/** The memory key this plugin owns. */
export const MEMORY_KEY = 'handoff'

interface HandoffMemory {
  /** The handoff the customer last wrote during: once it has ended, their next message may be its rating. */
  live?: string
  /** When the customer was last told their place in line (epoch ms). */
  positionAt?: number
}

const RATING = /^\s*([1-5])\s*$/

/**
 * Early in the pipeline. While a person has the conversation the bot stays silent: the customer's
 * message goes to the agent's console (and a waiting customer hears their place in line now and
 * then). Otherwise the rest of the pipeline runs, and when it asks for a person (an escalation, the
 * `human_agent` intent, a reply that hands over, a tenant rule) the conversation enters the queue
 * and the customer hears that instead of the bot's answer.
 */
export function handoffMiddleware(ctx: AgentContext<HandoffConfig>, s: DeskServices, desk: Desk, live: LiveHandoffs, messages: Record<string, DeskMessages>): TurnMiddleware {
  const { config } = ctx
  const rules = config.rules.map((rule) => ({ pattern: new RegExp(rule.pattern, 'iu'), reason: rule.reason }))
  const languages = Object.keys(messages)
  const plugin = { type: 'plugin' as const, id: ctx.id }

  const withHuman = async (turn: Turn, handoff: Handoff, memory: HandoffMemory): Promise<void> => {
    const { activity } = turn
    const now = s.clock.now()
    turn.annotations.handoff = { id: handoff.id, state: handoff.state }
    memory.live = handoff.id
    await s.handoffs.customerWrote(ctx.tenant, handoff.id, new Date(now)).catch((error) => turn.log.warn({ err: error }, 'could not record the customer’s activity on the handoff'))
    s.events.publish(ctx.tenant, {
      type: 'message',
      conversationId: turn.conversation.id,
      message: { id: turn.id, direction: 'in', senderRole: activity.from.role, senderId: activity.from.id, text: activity.text, at: activity.at },
    })
    if (handoff.state === 'queued' && now - (memory.positionAt ?? 0) >= config.positionUpdateEverySeconds * 1000) {
      turn.say(await desk.positionText(handoff))
      memory.positionAt = now
    }
  }

  /** The customer's answer to the rating question the agent's resolve asked, if this is one. */
  const rated = async (turn: Turn, handoffId: string): Promise<boolean> => {
    const score = RATING.exec(turn.activity.text)?.[1]
    if (!score) return false
    const handoff = await s.handoffs.get(ctx.tenant, handoffId)
    if (handoff?.state !== 'resolved' || !handoff.customerId) return false
    await s.customers.rate(ctx.tenant, { customerId: handoff.customerId, conversationId: turn.conversation.id, handoffId, score: Number(score) })
    turn.annotations.rating = Number(score)
    turn.say(messagesFor(turn).thanks)
    return true
  }

  const languageOf = (turn: Turn) => customerLanguage(turn, languages, s.locale)
  const messagesFor = (turn: Turn) => messages[languageOf(turn)] ?? messages.en!

  const enter = async (turn: Turn, reason: string, memory: HandoffMemory): Promise<void> => {
    const m = messagesFor(turn)
    const hours = config.businessHours && deskHours(config.businessHours, new Date(s.clock.now()))
    if (hours && !hours.open) {
      const notice = await ensureTicket(turn, 'after_hours')
      turn.replace([backAt(m, hours.next, config.businessHours!.timezone), ...notice])
      turn.annotations.handoff = { state: 'after_hours', reason }
      s.metrics.handoffs.inc({ tenant: ctx.tenant, reason, outcome: 'after_hours' })
      return
    }
    const customer = turn.state.customer
    const ticket = turn.state.ticket ?? (await s.tickets.openForConversation(ctx.tenant, turn.conversation.id))
    const { handoff } = await desk.enqueue(plugin, {
      conversationId: turn.conversation.id,
      channel: turn.activity.channel,
      instance: turn.activity.instance,
      reason,
      vipLevel: customer?.vipLevel ?? 0,
      language: languageOf(turn),
      ...(customer ? { customerId: customer.id } : {}),
      ...(ticket ? { ticketId: ticket.id, ticketPriority: priorityRank(ticket.priority) } : {}),
    })
    turn.annotations.handoff = { id: handoff.id, state: handoff.state, reason }
    memory.live = handoff.id
    memory.positionAt = s.clock.now()
    if (turn.activity.channel === 'voice') {
      // The phone line itself puts the caller through (<Dial>); nobody in the console needs to take it.
      await desk.assign(PHONE_TRANSFER, handoff.id, { announce: false })
      auditDesk(s, PHONE_TRANSFER, 'handoff.take', handoff.id, { conversationId: turn.conversation.id })
      turn.replace([{ parts: [{ type: 'text', text: m.connecting }], handoff: true }])
      return
    }
    const notice = turn.state.ticketNotice ? [turn.state.ticketNotice] : []
    turn.replace([`${m.connecting} ${await desk.positionText(handoff)}`, ...notice])
  }

  /** The conversation's open ticket, opened now if it has none; returns what the customer must be told of it. */
  const ensureTicket = async (turn: Turn, source: 'after_hours'): Promise<string[]> => {
    if (turn.state.ticket) return turn.state.ticketNotice ? [turn.state.ticketNotice] : []
    const existing = await s.tickets.openForConversation(ctx.tenant, turn.conversation.id)
    if (existing) return []
    const customer = turn.state.customer
    const ticket = await openTicket(
      s,
      {
        subject: subjectFrom(turn.activity.text, `Conversation ${turn.conversation.id}`),
        priority: 'medium',
        source,
        conversationId: turn.conversation.id,
        vipLevel: customer?.vipLevel ?? 0,
        ...(turn.activity.text.trim() ? { description: turn.activity.text } : {}),
        ...(customer ? { customerId: customer.id } : {}),
      },
      plugin,
    )
    turn.state.ticket = ticket
    turn.annotations.ticket = ticket.reference
    return [ticketOpened(languageOf(turn), ticket.reference, ticket.subject)]
  }

  return async (turn, next) => {
    const memory = readMemory(turn.memory[MEMORY_KEY])
    let current: Handoff | undefined
    try {
      current = await live.of(turn.conversation.id)
    } catch (error) {
      // Better the bot answers than nobody: the desk cannot be read, so nobody there could answer either.
      turn.log.error({ err: error }, 'could not read the conversation’s handoff; the bot answers')
      await next()
      return
    }
    try {
      if (current) return await withHuman(turn, current, memory)
      const ended = memory.live
      delete memory.live
      delete memory.positionAt
      if (ended && config.askForRating && (await rated(turn, ended))) return
      const rule = rules.find((r) => r.pattern.test(turn.activity.text))
      if (rule && !turn.state.escalate) {
        turn.state.escalate = { reason: rule.reason, by: ctx.id }
        turn.annotations.escalate = true
        turn.annotations.escalateReason = rule.reason
      }
      await next()
      const reason = handoffReason(turn)
      if (reason) await enter(turn, reason, memory).catch((error) => turn.log.error({ err: error, reason }, 'could not hand the conversation to a person; the bot’s answer stands'))
    } finally {
      writeMemory(turn, memory)
    }
  }
}

/** Why the turn asks for a person, if it does. */
export function handoffReason(turn: Pick<Turn, 'state' | 'annotations' | 'replies'>): string | undefined {
  if (turn.state.escalate) return turn.state.escalate.reason
  if (turn.state.intent?.name === 'human_agent' && turn.annotations.lowConfidence !== true) return 'asked_for_human'
  if (turn.replies.some((reply) => reply.handoff)) return 'bot_handoff'
  return undefined
}

function readMemory(value: unknown): HandoffMemory {
  const stored = (value ?? {}) as HandoffMemory
  return { ...(typeof stored.live === 'string' ? { live: stored.live } : {}), ...(typeof stored.positionAt === 'number' ? { positionAt: stored.positionAt } : {}) }
}

function writeMemory(turn: Turn, memory: HandoffMemory): void {
  if (memory.live === undefined && memory.positionAt === undefined) delete turn.memory[MEMORY_KEY]
  else turn.memory[MEMORY_KEY] = memory
}
