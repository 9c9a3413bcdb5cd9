import { inject, injectable } from 'tsyringe'
import type { Clock } from '../clock.js'
import { Tokens } from '../di/tokens.js'
import { sbError } from '../errors.js'
import type { Database, Sql } from '../store/database.js'
import { newId } from '../store/ids.js'
import type { TicketStore } from './ports.js'
import { requireConversation, requireCustomer } from './references.js'
import { DEFAULT_TICKET_POLICY, dueTimes, formatTicketReference } from './sla.js'
import { applyTicketPatch, type TicketChanges } from './ticket-changes.js'
import type { Actor, NewTicket, SlaPolicy, Ticket, TicketEvent, TicketPatch, TicketSearch } from './types.js'

const columns = `t.id, t.tenant_id AS tenant, t.number::int AS number, t.reference, t.customer_id AS "customerId", t.subject, t.description,
  t.priority, t.status, t.source, t.assignee, t.vip_level AS "vipLevel", t.first_response_due_at AS "firstResponseDueAt",
  t.resolve_due_at AS "resolveDueAt", t.first_responded_at AS "firstRespondedAt", t.resolved_at AS "resolvedAt",
  t.closed_at AS "closedAt", t.created_by AS "createdBy", t.created_at AS "createdAt", t.updated_at AS "updatedAt", t.version,
  coalesce((SELECT array_agg(tc.conversation_id ORDER BY tc.linked_at, tc.conversation_id) FROM ticket_conversations tc WHERE tc.ticket_id = t.id), '{}') AS "conversationIds"`

interface EventRow extends Omit<TicketEvent, 'actor'> {
  actorType: Actor['type']
  actorId: string
  actorName: string | null
}

const toEvent = ({ actorType, actorId, actorName, ...row }: EventRow): TicketEvent => ({
  ...row,
  actor: { type: actorType, id: actorId, ...(actorName ? { name: actorName } : {}) },
})

/** `1042` or `T-1042` (any prefix: the reference a customer quotes); anything else is an id. */
const REFERENCE = /^(?:[A-Za-z][A-Za-z0-9]*-)?(\d{1,15})$/

/** Live statuses: the SLA clocks still run. */
const UNRESOLVED = `t.status NOT IN ('resolved', 'closed')`

/**
 * Tickets with their history: the number comes from the tenant's counter in the same transaction
 * as the ticket, and every change is written with the ticket it changes.
 */
@injectable()
export class TicketRepository implements TicketStore {
  constructor(
    @inject(Tokens.Database) private readonly db: Database,
    @inject(Tokens.Clock) private readonly clock: Clock,
  ) {}

  async create(tenant: string, input: NewTicket, actor: Actor, sla: SlaPolicy, prefix = DEFAULT_TICKET_POLICY.prefix): Promise<Ticket> {
    return this.db.withTenant(tenant, async (tx) => {
      const customer = input.customerId ? await requireCustomer(tx, tenant, input.customerId) : undefined
      if (input.conversationId) await requireConversation(tx, tenant, input.conversationId)
      const [counter] = await tx.query<{ value: number }>(
        `INSERT INTO tenant_counters (tenant_id, name, value) VALUES ($1, 'ticket', 1)
         ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + 1 RETURNING value::int AS value`,
        [tenant],
      )
      const number = counter!.value
      const at = new Date(this.clock.now())
      const vipLevel = input.vipLevel ?? customer?.vipLevel ?? 0
      const due = dueTimes(sla, input.priority, vipLevel, at)
      const id = newId('tk_')
      await tx.query(
        `INSERT INTO tickets (id, tenant_id, number, reference, customer_id, subject, description, priority, source, assignee, vip_level,
                              first_response_due_at, resolve_due_at, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
        [
          id, tenant, number, formatTicketReference(prefix, number), customer?.id ?? null, input.subject, input.description ?? null, input.priority,
          input.source, input.assignee ?? null, vipLevel, due.firstResponseDueAt, due.resolveDueAt, `${actor.type}:${actor.id}`, at,
        ],
      )
      const initial: TicketChanges = { status: { from: null, to: 'open' }, priority: { from: null, to: input.priority } }
      if (input.assignee) initial.assignee = { from: null, to: input.assignee }
      await this.record(tx, tenant, id, actor, 'created', initial, null, at)
      if (input.conversationId) await this.attach(tx, tenant, id, input.conversationId, at)
      return (await this.read(tx, tenant, id))!
    })
  }

  async get(tenant: string, idOrNumber: string): Promise<Ticket | undefined> {
    const number = REFERENCE.exec(idOrNumber)?.[1]
    const [row] = await this.db.tenant(tenant).query<Ticket>(
      `SELECT ${columns} FROM tickets t WHERE t.tenant_id = $1 AND ${number ? 't.number = $2::bigint' : 't.id = $2'}`,
      [tenant, number ?? idOrNumber],
    )
    return row
  }

  list(tenant: string, filter: TicketSearch): Promise<Ticket[]> {
    return this.db.tenant(tenant).query<Ticket>(
      `SELECT ${columns} FROM tickets t
       WHERE t.tenant_id = $1
         AND ($2::text[] IS NULL OR t.status = ANY ($2))
         AND ($3::text IS NULL OR t.priority = $3)
         AND ($4::text IS NULL OR t.assignee = $4)
         AND ($5::text IS NULL OR t.customer_id = $5)
         AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM ticket_conversations tc WHERE tc.ticket_id = t.id AND tc.conversation_id = $6))
       ORDER BY t.created_at DESC, t.number DESC LIMIT $7`,
      [tenant, filter.status?.length ? filter.status : null, filter.priority ?? null, filter.assignee ?? null, filter.customerId ?? null, filter.conversationId ?? null, filter.limit ?? 50],
    )
  }

  async update(tenant: string, id: string, patch: TicketPatch, actor: Actor, sla: SlaPolicy = DEFAULT_TICKET_POLICY.sla): Promise<Ticket> {
    return this.db.withTenant(tenant, async (tx) => {
      const current = await this.read(tx, tenant, id, 'FOR UPDATE OF t')
      if (!current) throw sbError('SB_ERR_NOT_FOUND', `no ticket ${id}`)
      const at = new Date(this.clock.now())
      const { fields, changes } = applyTicketPatch(current, patch, at, sla)
      const note = patch.note ?? null
      if (Object.keys(changes).length === 0 && note === null) return current
      await tx.query(
        `UPDATE tickets SET status = $3, priority = $4, assignee = $5, subject = $6, first_response_due_at = $7, resolve_due_at = $8,
                            resolved_at = $9, closed_at = $10, updated_at = $11, version = version + 1
         WHERE tenant_id = $1 AND id = $2`,
        [tenant, id, fields.status, fields.priority, fields.assignee, fields.subject, fields.firstResponseDueAt, fields.resolveDueAt, fields.resolvedAt, fields.closedAt, at],
      )
      await this.record(tx, tenant, id, actor, Object.keys(changes).length > 0 ? 'updated' : 'commented', changes, note, at)
      return (await this.read(tx, tenant, id))!
    })
  }

  async link(tenant: string, id: string, conversationId: string, actor: Actor): Promise<Ticket> {
    return this.db.withTenant(tenant, async (tx) => {
      const current = await this.read(tx, tenant, id, 'FOR UPDATE OF t')
      if (!current) throw sbError('SB_ERR_NOT_FOUND', `no ticket ${id}`)
      await requireConversation(tx, tenant, conversationId)
      const at = new Date(this.clock.now())
      if (!(await this.attach(tx, tenant, id, conversationId, at))) return current
      await tx.query(`UPDATE tickets SET updated_at = $3, version = version + 1 WHERE tenant_id = $1 AND id = $2`, [tenant, id, at])
      await this.record(tx, tenant, id, actor, 'linked', { conversationIds: { from: current.conversationIds, to: [...current.conversationIds, conversationId] } }, null, at)
      return (await this.read(tx, tenant, id))!
    })
  }

  async history(tenant: string, id: string): Promise<TicketEvent[]> {
    const rows = await this.db.tenant(tenant).query<EventRow>(
      `SELECT id, ticket_id AS "ticketId", at, actor_type AS "actorType", actor_id AS "actorId", actor_name AS "actorName", kind, changes, note
       FROM ticket_events WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY at, id`,
      [tenant, id],
    )
    return rows.map(toEvent)
  }

  async openForConversation(tenant: string, conversationId: string): Promise<Ticket | undefined> {
    const [row] = await this.db.tenant(tenant).query<Ticket>(
      `SELECT ${columns} FROM tickets t JOIN ticket_conversations l ON l.ticket_id = t.id
       WHERE t.tenant_id = $1 AND l.conversation_id = $2 AND t.status <> 'closed'
       ORDER BY t.created_at DESC, t.number DESC LIMIT 1`,
      [tenant, conversationId],
    )
    return row
  }

  async markFirstResponse(tenant: string, id: string): Promise<void> {
    await this.db.tenant(tenant).query(
      `UPDATE tickets SET first_responded_at = $3 WHERE tenant_id = $1 AND id = $2 AND first_responded_at IS NULL`,
      [tenant, id, new Date(this.clock.now())],
    )
  }

  async breaching(tenant: string, now: Date): Promise<{ firstResponse: number; resolve: number }> {
    const [row] = await this.db.tenant(tenant).query<{ firstResponse: number; resolve: number }>(
      `SELECT count(*) FILTER (WHERE t.first_responded_at IS NULL AND t.first_response_due_at < $2)::int AS "firstResponse",
              count(*) FILTER (WHERE t.resolve_due_at < $2)::int AS resolve
       FROM tickets t WHERE t.tenant_id = $1 AND ${UNRESOLVED}`,
      [tenant, now],
    )
    return row!
  }

  private async read(tx: Sql, tenant: string, id: string, lock = ''): Promise<Ticket | undefined> {
    const [row] = await tx.query<Ticket>(`SELECT ${columns} FROM tickets t WHERE t.tenant_id = $1 AND t.id = $2 ${lock}`, [tenant, id])
    return row
  }

  /** True when the link is new. */
  private async attach(tx: Sql, tenant: string, id: string, conversationId: string, at: Date): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO ticket_conversations (tenant_id, ticket_id, conversation_id, linked_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING ticket_id`,
      [tenant, id, conversationId, at],
    )
    return rows.length > 0
  }

  private async record(tx: Sql, tenant: string, ticketId: string, actor: Actor, kind: TicketEvent['kind'], changes: TicketChanges, note: string | null, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO ticket_events (id, tenant_id, ticket_id, at, actor_type, actor_id, actor_name, kind, changes, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [newId('te_'), tenant, ticketId, at, actor.type, actor.id, actor.name ?? null, kind, JSON.stringify(changes), note],
    )
  }
}
