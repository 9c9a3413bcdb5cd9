import { ticketOpened, type AgentContext, type TurnMiddleware } from '../../core/index.js'
import { customerLanguage } from '../support/language.js'
import { openTicket, subjectFrom } from '../support/open-ticket.js'
import type { DeskServices } from '../support/services.js'
import type { TicketingConfig } from './manifest.js'
import { ticketPriority } from './policy.js'
import { MEMORY_KEY, readMemory, ticketTrigger } from './triggers.js'
import './types.js'

/** Languages the ticket notice is written in. */
const NOTICE_LANGUAGES = ['en', 'zh']

/**
 * After the rest of the pipeline has spoken: when the turn escalated, complained or left the
 * customer unanswered once too often, and the conversation has no open ticket yet, opens one and
 * tells the customer its number in the same turn.
 */
export function ticketingMiddleware(ctx: AgentContext<TicketingConfig>, desk: DeskServices): TurnMiddleware {
  const { config } = ctx
  const actor = { type: 'plugin' as const, id: ctx.id }

  return async (turn, next) => {
    await next()
    const before = turn.memory[MEMORY_KEY]
    const { reason, memory } = ticketTrigger(turn, config.create, readMemory(before))
    if (before !== undefined || memory.unanswered > 0) turn.memory[MEMORY_KEY] = memory
    if (!reason) return
    try {
      const existing = await desk.tickets.openForConversation(ctx.tenant, turn.conversation.id)
      if (existing) {
        turn.state.ticket = existing
        return
      }
      const customer = turn.state.customer
      const vipLevel = customer?.vipLevel ?? 0
      const text = turn.activity.text
      const ticket = await openTicket(
        desk,
        {
          subject: subjectFrom(text, `Conversation ${turn.conversation.id}`),
          ...(text.trim() ? { description: text } : {}),
          priority: ticketPriority(config.priority, reason, vipLevel),
          source: reason,
          conversationId: turn.conversation.id,
          vipLevel,
          ...(customer ? { customerId: customer.id } : {}),
        },
        actor,
      )
      turn.state.ticket = ticket
      turn.annotations.ticket = ticket.reference
      if (config.notifyCustomer) {
        const notice = ticketOpened(customerLanguage(turn, NOTICE_LANGUAGES, desk.locale), ticket.reference, ticket.subject)
        turn.state.ticketNotice = notice
        turn.say(notice)
      }
    } catch (error) {
      // The answer still goes out; an agent can open the ticket by hand.
      turn.log.error({ err: error, reason }, 'could not open a ticket for the conversation')
    }
  }
}
