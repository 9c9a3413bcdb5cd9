import type {
  Actor,
  Customer,
  CustomerPatch,
  CustomerSearch,
  Handoff,
  IdentityRef,
  NewHandoff,
  NewTicket,
  Note,
  QueuedHandoff,
  SlaPolicy,
  SupportEvent,
  Ticket,
  TicketEvent,
  TicketPatch,
  TicketSearch,
  VipSource,
} from './types.js'

/**
 * The contracts between the support desk's parts. Repositories (this folder) own the rows; every
 * method is tenant-scoped and runs under row-level security, so an id from another tenant is
 * simply not found.
 */

export interface CustomerStore {
  /** Finds the customer behind a channel identity, creating both the first time. */
  resolve(tenant: string, identity: IdentityRef): Promise<Customer>
  get(tenant: string, id: string): Promise<Customer | undefined>
  search(tenant: string, filter: CustomerSearch): Promise<Customer[]>
  update(tenant: string, id: string, patch: CustomerPatch, actor: Actor): Promise<Customer>
  /**
   * Sets the VIP level from a rule or a lookup hook; never overrides a level an admin set.
   * Returns the customer as stored afterwards.
   */
  setVip(tenant: string, id: string, level: number, source: Exclude<VipSource, 'admin' | 'default'>): Promise<Customer>
  /** Merges `otherId` into `id`: identities, tags, best VIP level, conversations, tickets. */
  link(tenant: string, id: string, otherId: string, actor: Actor): Promise<Customer>
  /** Points a conversation at its customer (once per conversation). */
  attachConversation(tenant: string, conversationId: string, customerId: string): Promise<void>
  forConversation(tenant: string, conversationId: string): Promise<Customer | undefined>
  /** The customer's conversations, most recently active first. */
  conversationIds(tenant: string, customerId: string, limit?: number): Promise<string[]>
  rate(tenant: string, input: { customerId: string; conversationId?: string; handoffId?: string; score: number; comment?: string }): Promise<void>
}

export interface TicketStore {
  /**
   * Creates a ticket with the tenant's next number, due times from `sla`, and its first history
   * entry. Its reference (`<prefix>-<number>`, prefix `T` when not given: TicketPolicy.prefix) is
   * stored with it, so a later prefix change does not rename tickets customers were told about.
   */
  create(tenant: string, input: NewTicket, actor: Actor, sla: SlaPolicy, prefix?: string): Promise<Ticket>
  /** By id or by number (`1042`, `T-1042`). */
  get(tenant: string, idOrNumber: string): Promise<Ticket | undefined>
  list(tenant: string, filter: TicketSearch): Promise<Ticket[]>
  /**
   * Applies a patch, checking the status transition and the version; every changed field lands in
   * the history in the same transaction. Throws SB_ERR_INVALID_TRANSITION (409) naming the allowed
   * statuses (message and details[0], path `body.status`) on an illegal move, SB_ERR_CONFLICT (409)
   * with the current version when `version` is stale, SB_ERR_NOT_FOUND for an unknown id.
   */
  update(tenant: string, id: string, patch: TicketPatch, actor: Actor, sla?: SlaPolicy): Promise<Ticket>
  link(tenant: string, id: string, conversationId: string, actor: Actor): Promise<Ticket>
  history(tenant: string, id: string): Promise<TicketEvent[]>
  /** The newest ticket of the conversation that is not closed. */
  openForConversation(tenant: string, conversationId: string): Promise<Ticket | undefined>
  /** First agent response on any linked conversation stops the first-response clock (once). */
  markFirstResponse(tenant: string, id: string): Promise<void>
  /** Tickets past a due time and not resolved: the SLA breaches an operator watches. */
  breaching(tenant: string, now: Date): Promise<{ firstResponse: number; resolve: number }>
}

export interface HandoffStore {
  /** The live (queued, assigned or agent_active) handoff of a conversation. */
  live(tenant: string, conversationId: string): Promise<Handoff | undefined>
  get(tenant: string, id: string): Promise<Handoff | undefined>
  /** Enters the queue; when the conversation already has a live handoff that one is returned. */
  enqueue(tenant: string, input: NewHandoff, at: Date): Promise<{ handoff: Handoff; created: boolean }>
  /** The queue in serving order (VIP level, ticket priority, then waiting time), with positions. */
  queue(tenant: string, limit?: number): Promise<QueuedHandoff[]>
  /** Position in the queue (1 = next) and how many are queued in all; undefined when not queued. */
  position(tenant: string, id: string): Promise<{ position: number; queued: number } | undefined>
  /**
   * Assigns a queued handoff to an agent: `id` for a chosen one, none for the next in order. Atomic
   * across replicas: of two agents taking the same one, one wins and the other gets
   * SB_ERR_ALREADY_TAKEN naming who has it (the agent who holds it gets it back). SB_ERR_HANDOFF_ENDED
   * for an ended one, SB_ERR_NOT_FOUND for an unknown id. Undefined when the queue is empty.
   */
  take(tenant: string, agent: Actor, id: string | undefined, at: Date): Promise<Handoff | undefined>
  /**
   * assigned → agent_active on the agent's first reply (sets firstResponseAt once); touches
   * lastAgentAt. SB_ERR_HANDOFF_ENDED when it has ended, SB_ERR_CONFLICT while still queued.
   */
  agentReplied(tenant: string, id: string, at: Date): Promise<Handoff>
  customerWrote(tenant: string, id: string, at: Date): Promise<void>
  /** Ends a live handoff: resolved by an agent, or abandoned (timeout, customer left). */
  end(tenant: string, id: string, state: 'resolved' | 'abandoned', reason: string, at: Date): Promise<Handoff>
  /** Back in the queue (an agent released it), keeping its original place in line. */
  release(tenant: string, id: string, agent: Actor): Promise<Handoff>
  linkTicket(tenant: string, id: string, ticketId: string, ticketPriority: number): Promise<void>
  /** Live handoffs queued before `queuedBefore`, or assigned/active with no activity since `idleSince`. */
  stale(tenant: string, limits: { queuedBefore: Date; idleSince: Date }): Promise<Handoff[]>
  /** Handoffs of the tenant in the given states, newest first (the console's "mine" and "recent", a conversation's latest). */
  list(tenant: string, filter: { states?: readonly string[]; agentId?: string; conversationId?: string; limit?: number }): Promise<Handoff[]>
  /** Counts for /metrics: queued per VIP level. */
  queueLengths(tenant: string): Promise<{ vipLevel: number; queued: number; oldestSeconds: number }[]>
}

export interface NoteStore {
  add(tenant: string, conversationId: string, author: Actor, text: string): Promise<Note>
  list(tenant: string, conversationId: string): Promise<Note[]>
}

/**
 * Live updates for consoles, across replicas: in-process by default, Redis pub/sub when the
 * gateway has Redis. Delivery is best effort; a console reloads state on (re)connect. Listeners
 * receive the same shapes on every replica: an event from another replica has its dates revived
 * as Date objects. A listener is called once per event, and one that throws does not stop others.
 */
export interface SupportEvents {
  publish(tenant: string, event: SupportEvent): void
  /** Returns the unsubscribe. */
  subscribe(tenant: string, listener: (event: SupportEvent) => void): () => void
}

/** A message written by a person (or the desk itself) rather than by the pipeline. */
export interface DeskMessage {
  text: string
  sender: Actor
  senderRole: 'agent' | 'system'
}

/**
 * What an agent can do, provided by the tenant's handoff plugin (Tokens.HandoffDesk in the
 * tenant's plugin container). The console and the admin API call it; it audits, publishes events
 * and tells the customer on their own channel.
 */
export interface HandoffDesk {
  /** The tenant's queue right now. */
  queue(): Promise<QueuedHandoff[]>
  /** Takes the next (no id) or a chosen conversation's handoff. 409 when someone else has it. */
  take(agent: Actor, handoffId?: string): Promise<Handoff | undefined>
  /** Sends the agent's text to the customer through the outbox; 409 when the handoff is not the agent's or has ended. */
  reply(agent: Actor, handoffId: string, text: string): Promise<{ messageId: string; seq: number }>
  note(agent: Actor, conversationId: string, text: string): Promise<Note>
  /** Ends the handoff and returns the conversation to the bot; the customer is told. */
  resolve(agent: Actor, handoffId: string, options?: { ticketStatus?: 'resolved' | 'pending' | 'in_progress' }): Promise<Handoff>
  /** Puts it back in the queue for another agent. */
  release(agent: Actor, handoffId: string): Promise<Handoff>
  /** Hands a conversation to a human on an agent's or admin's initiative (no customer request). */
  open(actor: Actor, conversationId: string, reason: string): Promise<Handoff>
}

/** A tenant plugin's VIP lookup (a CRM call): a level for a customer, or undefined to leave it. */
export type VipLookup = (customer: Customer) => Promise<number | undefined>
