/**
 * The support desk's domain: customers, tickets, handoffs to human agents and their notes. These
 * are the contracts the admin API, the agent console and the pipeline plugins share; the
 * repositories in this folder implement the data half, the handoff plugin the desk.
 */

// ── Customers ────────────────────────────────────────────────────────────────────────────────

export type VipSource = 'default' | 'rule' | 'lookup' | 'admin'

export interface CustomerIdentity {
  channel: string
  instance: string
  userId: string
  displayName: string | null
  linkedAt: Date
}

export interface Customer {
  id: string
  tenant: string
  displayName: string | null
  /** 0 = not a VIP; 1–9, higher served first. */
  vipLevel: number
  vipSource: VipSource
  language: string | null
  tags: string[]
  identities: CustomerIdentity[]
  satisfaction: { count: number; average: number | null }
  createdAt: Date
  updatedAt: Date
}

/** Who the channel says wrote: the key a customer is found or created by. */
export interface IdentityRef {
  channel: string
  instance: string
  userId: string
  displayName?: string
  language?: string
}

export interface CustomerPatch {
  displayName?: string | null
  vipLevel?: number
  language?: string | null
  tags?: string[]
}

export interface CustomerSearch {
  q?: string
  vipAtLeast?: number
  tag?: string
  limit?: number
}

// ── Tickets ──────────────────────────────────────────────────────────────────────────────────

export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const
export type TicketPriority = (typeof TICKET_PRIORITIES)[number]

export const TICKET_STATUSES = ['open', 'in_progress', 'pending', 'resolved', 'closed'] as const
export type TicketStatus = (typeof TICKET_STATUSES)[number]

/** The only moves a ticket may make; anything else is a 409 that lists these. */
export const TICKET_TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  open: ['in_progress', 'pending', 'resolved', 'closed'],
  in_progress: ['pending', 'resolved'],
  pending: ['in_progress', 'resolved'],
  // Reopening is the one way back.
  resolved: ['open', 'closed'],
  closed: [],
}

export type TicketSource = 'escalation' | 'complaint' | 'unresolved' | 'after_hours' | 'abandoned' | 'agent' | 'admin'

export interface Actor {
  type: 'agent' | 'key' | 'user' | 'plugin' | 'system'
  id: string
  name?: string
}

export interface Ticket {
  id: string
  tenant: string
  number: number
  /** What customers and agents say: `T-1042` (prefix from the ticketing plugin's config). */
  reference: string
  customerId: string | null
  subject: string
  description: string | null
  priority: TicketPriority
  status: TicketStatus
  source: TicketSource
  assignee: string | null
  vipLevel: number
  firstResponseDueAt: Date
  resolveDueAt: Date
  firstRespondedAt: Date | null
  resolvedAt: Date | null
  closedAt: Date | null
  createdBy: string
  createdAt: Date
  updatedAt: Date
  version: number
  conversationIds: string[]
}

export interface TicketEvent {
  id: string
  ticketId: string
  at: Date
  actor: Actor
  kind: 'created' | 'updated' | 'linked' | 'commented'
  /** Field → { from, to } for updates. */
  changes: Record<string, { from: unknown; to: unknown }>
  note: string | null
}

export interface NewTicket {
  subject: string
  description?: string
  priority: TicketPriority
  source: TicketSource
  customerId?: string
  conversationId?: string
  vipLevel?: number
  assignee?: string
}

export interface TicketPatch {
  status?: TicketStatus
  priority?: TicketPriority
  assignee?: string | null
  subject?: string
  /** Optimistic concurrency: refused with 409 when the ticket has moved on. */
  version?: number
  note?: string
}

export interface TicketSearch {
  status?: TicketStatus[]
  priority?: TicketPriority
  assignee?: string
  customerId?: string
  conversationId?: string
  limit?: number
}

/** SLA in minutes by priority, tightened by VIP level (factor applied to both clocks). */
export interface SlaPolicy {
  firstResponseMinutes: Record<TicketPriority, number>
  resolveMinutes: Record<TicketPriority, number>
  /** VIP level → factor (0.5 halves the time); levels without an entry use 1. */
  vipFactor: Record<number, number>
}

// ── Handoff ──────────────────────────────────────────────────────────────────────────────────

/** `bot` is the absence of a live handoff: the conversation belongs to the pipeline. */
export const HANDOFF_STATES = ['queued', 'assigned', 'agent_active', 'resolved', 'abandoned'] as const
export type HandoffState = (typeof HANDOFF_STATES)[number]
export const LIVE_HANDOFF_STATES: readonly HandoffState[] = ['queued', 'assigned', 'agent_active']

export interface Handoff {
  id: string
  tenant: string
  conversationId: string
  customerId: string | null
  channel: string
  instance: string
  state: HandoffState
  reason: string
  vipLevel: number
  /** 0 low … 3 urgent. */
  ticketPriority: number
  ticketId: string | null
  language: string | null
  agentId: string | null
  agentName: string | null
  queuedAt: Date
  assignedAt: Date | null
  firstResponseAt: Date | null
  lastCustomerAt: Date | null
  lastAgentAt: Date | null
  endedAt: Date | null
  endReason: string | null
  version: number
}

export interface QueuedHandoff extends Handoff {
  /** 1 = next to be taken. */
  position: number
}

export interface NewHandoff {
  conversationId: string
  customerId?: string
  channel: string
  instance: string
  reason: string
  vipLevel: number
  ticketPriority?: number
  ticketId?: string
  language?: string
}

export interface Note {
  id: string
  conversationId: string
  authorId: string
  authorName: string | null
  text: string
  createdAt: Date
}

// ── Live events (agent console, other replicas) ──────────────────────────────────────────────

export interface MessageSummary {
  id: string
  direction: 'in' | 'out'
  senderRole: string
  senderId: string
  text: string
  at: Date
  annotations?: Record<string, unknown>
}

export type SupportEvent =
  | { type: 'handoff'; handoff: Handoff }
  | { type: 'message'; conversationId: string; message: MessageSummary }
  | { type: 'note'; note: Note }
  | { type: 'ticket'; ticket: Ticket }
  /** A profile changed by a person (VIP level, merge): caches of it on every replica let go. */
  | { type: 'customer'; customer: Customer }
