import { inject, injectable } from 'tsyringe'
import type { Clock } from '../clock.js'
import { Tokens } from '../di/tokens.js'
import { sbError } from '../errors.js'
import type { Database } from '../store/database.js'
import { newId } from '../store/ids.js'
import type { HandoffStore } from './ports.js'
import type { Actor, Handoff, NewHandoff, QueuedHandoff } from './types.js'

const columns = `id, tenant_id AS tenant, conversation_id AS "conversationId", customer_id AS "customerId", channel, instance, state, reason,
  vip_level AS "vipLevel", ticket_priority AS "ticketPriority", ticket_id AS "ticketId", language, agent_id AS "agentId",
  agent_name AS "agentName", queued_at AS "queuedAt", assigned_at AS "assignedAt", first_response_at AS "firstResponseAt",
  last_customer_at AS "lastCustomerAt", last_agent_at AS "lastAgentAt", ended_at AS "endedAt", end_reason AS "endReason", version`

const LIVE = `state IN ('queued', 'assigned', 'agent_active')`
const WITH_AGENT = `state IN ('assigned', 'agent_active')`
/** The serving order: VIPs first, then the linked ticket's priority, then who has waited longest. */
const SERVING_ORDER = `vip_level DESC, ticket_priority DESC, queued_at, id`
/** Medium, the priority a handoff without a ticket waits at. */
const DEFAULT_TICKET_PRIORITY = 1

/**
 * The durable handoff state machine. Every move is one conditional UPDATE on the row's state, so
 * replicas racing for the same handoff cannot both win, and a restart finds the state where it was.
 */
@injectable()
export class HandoffRepository implements HandoffStore {
  constructor(
    @inject(Tokens.Database) private readonly db: Database,
    @inject(Tokens.Clock) private readonly clock: Clock,
  ) {}

  async live(tenant: string, conversationId: string): Promise<Handoff | undefined> {
    const [row] = await this.db.tenant(tenant).query<Handoff>(`SELECT ${columns} FROM handoffs WHERE tenant_id = $1 AND conversation_id = $2 AND ${LIVE}`, [tenant, conversationId])
    return row
  }

  async get(tenant: string, id: string): Promise<Handoff | undefined> {
    const [row] = await this.db.tenant(tenant).query<Handoff>(`SELECT ${columns} FROM handoffs WHERE tenant_id = $1 AND id = $2`, [tenant, id])
    return row
  }

  async enqueue(tenant: string, input: NewHandoff, at: Date): Promise<{ handoff: Handoff; created: boolean }> {
    // The conversation is read under the tenant's scope, so another tenant's id inserts nothing;
    // the partial unique index turns a second live handoff of the conversation into a no-op.
    const [created] = await this.db.tenant(tenant).query<Handoff>(
      `INSERT INTO handoffs (id, tenant_id, conversation_id, customer_id, channel, instance, state, reason, vip_level, ticket_priority, ticket_id, language, queued_at)
       SELECT $1, $2, c.id, $4::text, $5::text, $6::text, 'queued', $7::text, $8::int, $9::int, $10::text, $11::text, $12::timestamptz FROM conversations c WHERE c.tenant_id = $2 AND c.id = $3
       ON CONFLICT DO NOTHING RETURNING ${columns}`,
      [
        newId('ho_'), tenant, input.conversationId, input.customerId ?? null, input.channel, input.instance, input.reason, input.vipLevel,
        input.ticketPriority ?? DEFAULT_TICKET_PRIORITY, input.ticketId ?? null, input.language ?? null, at,
      ],
    )
    if (created) return { handoff: created, created: true }
    const existing = await this.live(tenant, input.conversationId)
    if (!existing) throw sbError('SB_ERR_NOT_FOUND', `no conversation ${input.conversationId}`, [{ path: 'conversationId', message: 'no such conversation' }])
    return { handoff: existing, created: false }
  }

  async queue(tenant: string, limit = 100): Promise<QueuedHandoff[]> {
    return this.db.tenant(tenant).query<QueuedHandoff>(
      `SELECT ${columns}, row_number() OVER (ORDER BY ${SERVING_ORDER})::int AS position
       FROM handoffs WHERE tenant_id = $1 AND state = 'queued' ORDER BY ${SERVING_ORDER} LIMIT $2`,
      [tenant, limit],
    )
  }

  async position(tenant: string, id: string): Promise<{ position: number; queued: number } | undefined> {
    const [row] = await this.db.tenant(tenant).query<{ position: number; queued: number }>(
      `SELECT position, queued FROM (
         SELECT id, row_number() OVER (ORDER BY ${SERVING_ORDER})::int AS position, (count(*) OVER ())::int AS queued
         FROM handoffs WHERE tenant_id = $1 AND state = 'queued'
       ) q WHERE id = $2`,
      [tenant, id],
    )
    return row
  }

  async take(tenant: string, agent: Actor, id: string | undefined, at: Date): Promise<Handoff | undefined> {
    const assign = `UPDATE handoffs SET state = 'assigned', agent_id = $2, agent_name = $3, assigned_at = $4, version = version + 1`
    const params = [tenant, agent.id, agent.name ?? null, at]
    if (id === undefined) {
      // Concurrent takers skip each other's locked rows: each gets a different next one.
      const [next] = await this.db.tenant(tenant).query<Handoff>(
        `${assign} WHERE tenant_id = $1 AND state = 'queued'
           AND id = (SELECT id FROM handoffs WHERE tenant_id = $1 AND state = 'queued' ORDER BY ${SERVING_ORDER} LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING ${columns}`,
        params,
      )
      return next
    }
    const [taken] = await this.db.tenant(tenant).query<Handoff>(`${assign} WHERE tenant_id = $1 AND id = $5 AND state = 'queued' RETURNING ${columns}`, [...params, id])
    if (taken) return taken
    const current = await this.existing(tenant, id)
    // Asking again for what one already holds (a double click, a retried request) is not a race lost.
    if (current.agentId === agent.id && current.state !== 'resolved' && current.state !== 'abandoned') return current
    throw this.notLive(current)
  }

  async agentReplied(tenant: string, id: string, at: Date): Promise<Handoff> {
    return this.move(
      tenant,
      id,
      `state = 'agent_active', first_response_at = coalesce(first_response_at, $3), last_agent_at = $3, version = version + 1`,
      WITH_AGENT,
      [at],
    )
  }

  async customerWrote(tenant: string, id: string, at: Date): Promise<void> {
    // Activity, not a state change: the version (what consoles compare) stays.
    await this.db.tenant(tenant).query(`UPDATE handoffs SET last_customer_at = $3 WHERE tenant_id = $1 AND id = $2 AND ${LIVE}`, [tenant, id, at])
  }

  async end(tenant: string, id: string, state: 'resolved' | 'abandoned', reason: string, at: Date): Promise<Handoff> {
    return this.move(tenant, id, `state = $3, end_reason = $4, ended_at = $5, version = version + 1`, LIVE, [state, reason, at])
  }

  async release(tenant: string, id: string, _agent: Actor): Promise<Handoff> {
    const current = await this.existing(tenant, id)
    if (current.state === 'queued') return current
    // Back in line where it was: queued_at is kept, so it does not lose its place.
    return this.move(tenant, id, `state = 'queued', agent_id = NULL, agent_name = NULL, assigned_at = NULL, version = version + 1`, WITH_AGENT, [])
  }

  async linkTicket(tenant: string, id: string, ticketId: string, ticketPriority: number): Promise<void> {
    await this.db.withTenant(tenant, async (tx) => {
      const tickets = await tx.query(`SELECT 1 FROM tickets WHERE tenant_id = $1 AND id = $2`, [tenant, ticketId])
      if (tickets.length === 0) throw sbError('SB_ERR_NOT_FOUND', `no ticket ${ticketId}`)
      const rows = await tx.query(
        `UPDATE handoffs SET ticket_id = $3, ticket_priority = $4, version = version + 1 WHERE tenant_id = $1 AND id = $2 RETURNING id`,
        [tenant, id, ticketId, ticketPriority],
      )
      if (rows.length === 0) throw sbError('SB_ERR_NOT_FOUND', `no handoff ${id}`)
    })
  }

  stale(tenant: string, limits: { queuedBefore: Date; idleSince: Date }): Promise<Handoff[]> {
    return this.db.tenant(tenant).query<Handoff>(
      `SELECT ${columns} FROM handoffs WHERE tenant_id = $1 AND (
         (state = 'queued' AND queued_at < $2)
         OR (${WITH_AGENT} AND greatest(assigned_at, last_agent_at, last_customer_at) < $3)
       ) ORDER BY queued_at, id`,
      [tenant, limits.queuedBefore, limits.idleSince],
    )
  }

  list(tenant: string, filter: { states?: readonly string[]; agentId?: string; conversationId?: string; limit?: number }): Promise<Handoff[]> {
    return this.db.tenant(tenant).query<Handoff>(
      `SELECT ${columns} FROM handoffs
       WHERE tenant_id = $1 AND ($2::text[] IS NULL OR state = ANY ($2)) AND ($3::text IS NULL OR agent_id = $3) AND ($4::text IS NULL OR conversation_id = $4)
       ORDER BY queued_at DESC, id DESC LIMIT $5`,
      [tenant, filter.states?.length ? filter.states : null, filter.agentId ?? null, filter.conversationId ?? null, filter.limit ?? 50],
    )
  }

  queueLengths(tenant: string): Promise<{ vipLevel: number; queued: number; oldestSeconds: number }[]> {
    return this.db.tenant(tenant).query(
      `SELECT vip_level AS "vipLevel", count(*)::int AS queued, greatest(0, extract(epoch FROM $2::timestamptz - min(queued_at)))::float8 AS "oldestSeconds"
       FROM handoffs WHERE tenant_id = $1 AND state = 'queued' GROUP BY vip_level ORDER BY vip_level`,
      [tenant, new Date(this.clock.now())],
    )
  }

  /** One guarded state move; when the guard fails the error says why (gone, ended, not yet taken). */
  private async move(tenant: string, id: string, set: string, guard: string, values: unknown[]): Promise<Handoff> {
    const [moved] = await this.db.tenant(tenant).query<Handoff>(`UPDATE handoffs SET ${set} WHERE tenant_id = $1 AND id = $2 AND ${guard} RETURNING ${columns}`, [tenant, id, ...values])
    if (moved) return moved
    throw this.notLive(await this.existing(tenant, id))
  }

  private async existing(tenant: string, id: string): Promise<Handoff> {
    const handoff = await this.get(tenant, id)
    if (!handoff) throw sbError('SB_ERR_NOT_FOUND', `no handoff ${id}`)
    return handoff
  }

  private notLive(handoff: Handoff) {
    switch (handoff.state) {
      case 'resolved':
      case 'abandoned':
        return sbError('SB_ERR_HANDOFF_ENDED', `the handoff ended (${handoff.state}${handoff.endReason ? `: ${handoff.endReason}` : ''}); the conversation is back with the bot`)
      case 'queued':
        return sbError('SB_ERR_CONFLICT', 'the conversation is still waiting in the queue; take it first')
      default:
        return sbError('SB_ERR_ALREADY_TAKEN', `already taken by ${handoff.agentName ?? handoff.agentId}`)
    }
  }
}
