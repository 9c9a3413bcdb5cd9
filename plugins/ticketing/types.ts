import type { Ticket } from '../../core/index.js'

declare module '../../core/pipeline/turn.js' {
  interface TurnState {
    /** The conversation's open ticket, when this turn opened or found one (the ticketing plugin). */
    ticket?: Ticket
    /** What the customer was told about a ticket opened this turn, for a plugin that rewrites the replies. */
    ticketNotice?: string
  }
}
