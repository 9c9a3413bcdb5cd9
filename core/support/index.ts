export * from './types.js'
export type * from './ports.js'
export { DEFAULT_TICKET_POLICY, dueTimes, formatTicketReference, type TicketPolicy } from './sla.js'
export { ticketOpened } from './phrases.js'
