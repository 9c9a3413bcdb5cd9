import {
  DEFAULT_TICKET_POLICY,
  Tokens,
  type AgentContext,
  type Clock,
  type ConversationRepository,
  type CustomerStore,
  type HandoffStore,
  type Metrics,
  type NoteStore,
  type SupportEvents,
  type TicketPolicy,
  type TicketStore,
} from '../../core/index.js'
import type { Logger } from 'pino'
import type { DependencyContainer } from 'tsyringe'

// Core does not hand plugins the audit log's or the engine's class, only their tokens.
const auditOf = (container: DependencyContainer) => container.resolve(Tokens.Audit)
const deliveryOf = (container: DependencyContainer) => container.resolve(Tokens.Delivery)

/** What the support-desk plugins work with: the root's stores and engines, resolved once per set-up. */
export interface DeskServices {
  tenant: string
  conversations: ConversationRepository
  customers: CustomerStore
  tickets: TicketStore
  handoffs: HandoffStore
  notes: NoteStore
  events: SupportEvents
  audit: ReturnType<typeof auditOf>
  delivery: ReturnType<typeof deliveryOf>
  metrics: Metrics
  clock: Clock
  log: Logger
  /** The tenant's default language (`locale` in its file). */
  locale: string
  /** The ticketing plugin's numbering and SLA when it is enabled, the defaults otherwise. */
  ticketPolicy(): TicketPolicy
}

export function deskServices(ctx: AgentContext<unknown>): DeskServices {
  const { container } = ctx
  return {
    tenant: ctx.tenant,
    conversations: container.resolve(Tokens.Conversations),
    customers: container.resolve(Tokens.Customers),
    tickets: container.resolve(Tokens.Tickets),
    handoffs: container.resolve(Tokens.Handoffs),
    notes: container.resolve(Tokens.Notes),
    events: container.resolve(Tokens.SupportEvents),
    audit: auditOf(container),
    delivery: deliveryOf(container),
    metrics: ctx.metrics,
    clock: container.resolve(Tokens.Clock),
    log: ctx.log,
    locale: container.resolve(Tokens.TenantConfig).locale,
    // Per use: the ticketing plugin may be listed after the one asking.
    ticketPolicy: () => (container.isRegistered(Tokens.TicketPolicy, true) ? container.resolve(Tokens.TicketPolicy) : DEFAULT_TICKET_POLICY),
  }
}
