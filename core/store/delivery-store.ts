import { inject, injectable } from 'tsyringe'
import { Tokens } from '../di/tokens.js'
import type { InboundActivity, Part } from '../message/index.js'
import type { ReplyHints } from '../plugin/channel.js'
import type { BatchQueue } from './batch-queue.js'
import type { Database, Sql } from './database.js'
import { tenantBatchQueue } from './tenant-batch-queue.js'

export interface InboxKey {
  tenant: string
  instance: string
  platformMsgId: string
}

export interface InboundRecord extends InboxKey {
  conversationId: string
  turnId: string
  messageId: string
  activity: InboundActivity
  receivedAt: Date
}

export type AcceptResult =
  | { status: 'accepted'; turnId: string; messageId: string }
  | { status: 'duplicate'; turnId: string; messageId: string; done: boolean }

export interface OutboundMessage {
  id: string
  seq: number
  parts: Part[]
  text: string
  hints?: ReplyHints
  createdAt: Date
}

/**
 * Everything a finished turn writes, committed in one statement: all of it or none. The inbound
 * message enters the transcript here, with the annotations the turn gave it, so it is written once.
 */
export interface TurnCommit {
  inbound: InboundRecord
  botId: string
  annotations: Record<string, unknown>
  /** The conversation's plugin memory after the turn, when the turn changed it. */
  memory?: Record<string, unknown>
  replies: OutboundMessage[]
  /** False for resumable channels, whose clients fetch replies from the transcript by seq. */
  outbox: boolean
}

/**
 * Messages written outside a turn (a human agent, the desk telling a customer where they stand):
 * transcript and outbox rows in one statement, seq'd after the conversation's earlier replies.
 */
export interface MessageCommit {
  tenant: string
  conversationId: string
  instance: string
  /** Groups the messages like a turn does: one id per delivery. */
  turnId: string
  sender: { id: string; role: 'agent' | 'system' }
  /** Stored on each message with its reply hints. */
  annotations: Record<string, unknown>
  messages: OutboundMessage[]
  outbox: boolean
}

export interface OutboxRef {
  tenant: string
  id: string
}

export interface OutboxItem {
  id: string
  tenant: string
  conversationId: string
  instance: string
  seq: number
  attempts: number
  turnId: string
  parts: Part[]
  text: string
  hints?: ReplyHints
  createdAt: Date
}

const keyOf = (k: InboxKey) => `${k.tenant}\u001f${k.instance}\u001f${k.platformMsgId}`

/**
 * The durable half of the delivery path: inbox dedup, turn completion and outbox state. Writes go
 * through group-commit queues so concurrent conversations share statements.
 */
@injectable()
export class DeliveryStore {
  readonly #accept: BatchQueue<InboundRecord, AcceptResult>
  readonly #commit: BatchQueue<TurnCommit, boolean>
  readonly #sent: BatchQueue<OutboxRef, void>

  constructor(@inject(Tokens.Database) private readonly db: Database) {
    this.#accept = tenantBatchQueue(db, (r) => r.tenant, (tx, items) => this.#acceptBatch(tx, items))
    this.#commit = tenantBatchQueue(db, (c) => c.inbound.tenant, (tx, items) => this.#commitBatch(tx, items))
    this.#sent = tenantBatchQueue(db, (o) => o.tenant, (tx, items) => this.#sentBatch(tx, items))
  }

  /** Records an inbound activity durably, or reports that it was seen before. */
  accept(record: InboundRecord): Promise<AcceptResult> {
    return this.#accept.push(record)
  }

  /**
   * Commits a finished turn; false when the turn was no longer pending (completed before, e.g. a
   * redelivery raced its first run): nothing is written then, so nothing is answered twice.
   */
  commitTurn(commit: TurnCommit): Promise<boolean> {
    return this.#commit.push(commit)
  }

  /** Commits out-of-turn messages; their seqs must be free (a unique violation means another replica wrote first). */
  async commitMessages(commit: MessageCommit): Promise<void> {
    const rows = commit.messages.map((m) => ({
      id: m.id,
      seq: m.seq,
      text: m.text,
      parts: m.parts,
      annotations: { ...commit.annotations, ...m.hints },
      created_at: m.createdAt.toISOString(),
    }))
    await this.db.tenant(commit.tenant).query(
      `WITH r AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, seq int, text text, parts jsonb, annotations jsonb, created_at timestamptz)),
       transcript AS (
         INSERT INTO messages (id, tenant_id, conversation_id, direction, turn_id, seq, platform_msg_id, sender_id, sender_role, kind, text, parts, annotations, created_at)
         SELECT id, $2, $3, 'out', $4, seq, NULL, $5, $6, 'message', text, parts, annotations, created_at FROM r
         RETURNING id),
       queued AS (
         INSERT INTO outbox (id, tenant_id, conversation_id, instance, seq, next_attempt_at, created_at)
         SELECT r.id, $2, $3, $7, r.seq, r.created_at, r.created_at FROM r JOIN transcript USING (id) WHERE $8::boolean)
       UPDATE conversations SET last_activity_at = now() WHERE tenant_id = $2 AND id = $3`,
      [JSON.stringify(rows), commit.tenant, commit.conversationId, commit.turnId, commit.sender.id, commit.sender.role, commit.instance, commit.outbox],
    )
  }

  /** Which channel instance a conversation lives on; undefined when the tenant has no such conversation. */
  async conversationInstance(tenant: string, conversationId: string): Promise<string | undefined> {
    const rows = await this.db.tenant(tenant).query<{ instance: string }>(`SELECT instance FROM conversations WHERE tenant_id = $1 AND id = $2`, [tenant, conversationId])
    return rows[0]?.instance
  }

  markSent(item: OutboxRef): Promise<void> {
    return this.#sent.push(item)
  }

  async markAttempt(item: OutboxRef, outcome: { status: 'pending' | 'parked' | 'failed' | 'unknown'; error: string; retryAt?: Date }): Promise<void> {
    await this.db.tenant(item.tenant).query(
      `UPDATE outbox SET status = $2, attempts = attempts + 1, last_error = $3, next_attempt_at = coalesce($4, next_attempt_at) WHERE id = $1`,
      [item.id, outcome.status, outcome.error.slice(0, 1000), outcome.retryAt ?? null],
    )
  }

  /** A tenant's accepted turns that never completed, oldest first: replayed when it starts. */
  async pendingTurns(tenant: string, afterTurnId?: string, limit = 500): Promise<(InboundRecord & { attempts: number })[]> {
    const rows = await this.db.tenant(tenant).query<InboundRecord & { attempts: number }>(
      `UPDATE inbox SET attempts = attempts + 1
       WHERE (tenant_id, instance, platform_msg_id) IN (
         SELECT tenant_id, instance, platform_msg_id FROM inbox
         WHERE status = 'pending' AND ($2::text IS NULL OR turn_id > $2) ORDER BY turn_id LIMIT $1)
       RETURNING tenant_id AS tenant, instance, platform_msg_id AS "platformMsgId", conversation_id AS "conversationId",
         turn_id AS "turnId", message_id AS "messageId", activity, received_at AS "receivedAt", attempts`,
      [limit, afterTurnId ?? null],
    )
    return rows.sort((a, b) => (a.turnId < b.turnId ? -1 : 1))
  }

  /** False while the turn waits in the inbox; its commit writes the replies in the same statement. */
  async turnSettled(tenant: string, turnId: string): Promise<boolean> {
    const rows = await this.db.tenant(tenant).query(`SELECT 1 FROM inbox WHERE turn_id = $1 AND status = 'pending' AND tenant_id = $2 LIMIT 1`, [turnId, tenant])
    return rows.length === 0
  }

  /** Gives up on a turn that keeps failing, so one poisonous message cannot block a restart loop. */
  async failTurn(key: InboxKey): Promise<void> {
    // The message still belongs in the transcript, marked, after the inbox forgets it.
    await this.db.tenant(key.tenant).query(
      `WITH failed AS (
         UPDATE inbox SET status = 'failed', done_at = now()
         WHERE tenant_id = $1 AND instance = $2 AND platform_msg_id = $3 AND status = 'pending' RETURNING *)
       INSERT INTO messages (id, tenant_id, conversation_id, direction, turn_id, seq, platform_msg_id, sender_id, sender_role, kind, text, parts, annotations, created_at)
       SELECT message_id, tenant_id, conversation_id, 'in', turn_id, NULL, platform_msg_id, activity->'from'->>'id',
              coalesce(activity->'from'->>'role', 'user'), activity->>'kind', activity->>'text', activity->'parts',
              '{"error": "SB_ERR_TURN_FAILED"}'::jsonb, received_at
       FROM failed ON CONFLICT (id) DO NOTHING`,
      [key.tenant, key.instance, key.platformMsgId],
    )
  }

  /** Replies persisted but not yet delivered, in conversation order. */
  pendingOutbox(filter: { tenant: string; instance?: string; conversationId?: string; dueBefore?: Date }, limit = 1000): Promise<OutboxItem[]> {
    return this.db.tenant(filter.tenant).query<OutboxItem>(
      `SELECT o.id, o.tenant_id AS tenant, o.conversation_id AS "conversationId", o.instance, o.seq, o.attempts,
              m.turn_id AS "turnId", m.parts, m.text, m.annotations AS hints, m.created_at AS "createdAt"
       FROM outbox o JOIN messages m ON m.id = o.id
       WHERE o.status = 'pending'
         AND ($1::text IS NULL OR o.tenant_id = $1) AND ($2::text IS NULL OR o.instance = $2)
         AND ($3::text IS NULL OR o.conversation_id = $3) AND ($4::timestamptz IS NULL OR o.next_attempt_at <= $4)
       ORDER BY o.conversation_id, o.seq LIMIT $5`,
      [filter.tenant, filter.instance ?? null, filter.conversationId ?? null, filter.dueBefore ?? null, limit],
    )
  }

  /** When the conversation's earliest pending reply is due, if it has one. */
  async nextDue(tenant: string, conversationId: string): Promise<Date | undefined> {
    const rows = await this.db.tenant(tenant).query<{ due: Date | null }>(
      `SELECT min(next_attempt_at) AS due FROM outbox WHERE status = 'pending' AND conversation_id = $1`,
      [conversationId],
    )
    return rows[0]?.due ?? undefined
  }

  /** A tenant's conversations with replies waiting, and when the earliest of them is due. */
  outboxBacklog(tenant: string): Promise<{ tenant: string; conversationId: string; pending: number; dueAt: Date }[]> {
    return this.db.tenant(tenant).query(
      `SELECT tenant_id AS tenant, conversation_id AS "conversationId", count(*)::int AS pending, min(next_attempt_at) AS "dueAt"
       FROM outbox WHERE status = 'pending' GROUP BY tenant_id, conversation_id`,
    )
  }

  async outboxStats(tenant: string): Promise<{ pending: number; oldestSeconds: number }> {
    const rows = await this.db.tenant(tenant).query<{ pending: number; oldestSeconds: number }>(
      `SELECT count(*)::int AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS "oldestSeconds"
       FROM outbox WHERE status = 'pending'`,
    )
    return rows[0] ?? { pending: 0, oldestSeconds: 0 }
  }

  /** Forgets a tenant's dedup keys of finished turns once the platforms' redelivery horizon has passed. */
  async pruneInbox(tenant: string, olderThan: Date): Promise<number> {
    const rows = await this.db.tenant(tenant).query(`DELETE FROM inbox WHERE status <> 'pending' AND done_at < $1 RETURNING 1`, [olderThan])
    return rows.length
  }

  /** Waits for every queued write; called on shutdown. */
  async flush(): Promise<void> {
    await Promise.all([this.#accept.drain(), this.#commit.drain(), this.#sent.drain()])
  }

  async #acceptBatch(tx: Sql, batch: InboundRecord[]): Promise<AcceptResult[]> {
    // The same key twice in one batch (a concurrent redelivery) must not reach one INSERT twice.
    const firstByKey = new Map<string, InboundRecord>()
    for (const record of batch) if (!firstByKey.has(keyOf(record))) firstByKey.set(keyOf(record), record)
    const unique = [...firstByKey.values()]
    const rows = unique.map((r) => ({
      tenant_id: r.tenant,
      instance: r.instance,
      platform_msg_id: r.platformMsgId,
      conversation_id: r.conversationId,
      turn_id: r.turnId,
      message_id: r.messageId,
      activity: r.activity,
      received_at: r.receivedAt.toISOString(),
    }))
    const inserted = await tx.query<{ turn_id: string }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(tenant_id text, instance text, platform_msg_id text,
           conversation_id text, turn_id text, message_id text, activity jsonb, received_at timestamptz))
       INSERT INTO inbox (tenant_id, instance, platform_msg_id, conversation_id, turn_id, message_id, activity, received_at)
       SELECT tenant_id, instance, platform_msg_id, conversation_id, turn_id, message_id, activity, received_at FROM input
       ON CONFLICT DO NOTHING
       RETURNING turn_id`,
      [JSON.stringify(rows)],
    )
    const fresh = new Set(inserted.map((r) => r.turn_id))
    const duplicates = batch.filter((r) => !fresh.has(r.turnId))
    const existing = new Map<string, { turnId: string; messageId: string; done: boolean }>()
    if (duplicates.length > 0) {
      const found = await tx.query<{ key: string; turnId: string; messageId: string; status: string }>(
        `SELECT i.tenant_id || chr(31) || i.instance || chr(31) || i.platform_msg_id AS key, i.turn_id AS "turnId", i.message_id AS "messageId", i.status
         FROM inbox i JOIN jsonb_to_recordset($1::jsonb) AS x(tenant text, instance text, "platformMsgId" text)
           ON i.tenant_id = x.tenant AND i.instance = x.instance AND i.platform_msg_id = x."platformMsgId"`,
        [JSON.stringify(duplicates.map(({ tenant, instance, platformMsgId }) => ({ tenant, instance, platformMsgId })))],
      )
      for (const row of found) existing.set(row.key, { turnId: row.turnId, messageId: row.messageId, done: row.status !== 'pending' })
    }
    return batch.map((r): AcceptResult => {
      if (fresh.has(r.turnId)) return { status: 'accepted', turnId: r.turnId, messageId: r.messageId }
      const seen = existing.get(keyOf(r)) ?? firstByKey.get(keyOf(r))!
      return { status: 'duplicate', turnId: seen.turnId, messageId: seen.messageId, done: 'done' in seen ? seen.done : false }
    })
  }

  async #commitBatch(tx: Sql, batch: TurnCommit[]): Promise<boolean[]> {
    const replies = batch.flatMap(({ inbound, botId, replies, outbox }) =>
      replies.map((r) => ({
        id: r.id,
        tenant_id: inbound.tenant,
        conversation_id: inbound.conversationId,
        instance: inbound.instance,
        turn_id: inbound.turnId,
        seq: r.seq,
        sender_id: botId,
        text: r.text,
        parts: r.parts,
        // An outbound message's annotations are its reply hints.
        annotations: r.hints ?? {},
        created_at: r.createdAt.toISOString(),
        queue: outbox,
      })),
    )
    const turns = batch.map(({ inbound, annotations, memory }) => ({
      tenant_id: inbound.tenant,
      instance: inbound.instance,
      platform_msg_id: inbound.platformMsgId,
      conversation_id: inbound.conversationId,
      turn_id: inbound.turnId,
      message_id: inbound.messageId,
      sender_id: inbound.activity.from.id,
      sender_role: inbound.activity.from.role,
      kind: inbound.activity.kind,
      text: inbound.activity.text,
      parts: inbound.activity.parts,
      received_at: inbound.receivedAt,
      annotations,
      memory: memory ?? null,
    }))
    // One statement is one atomic unit: the inbox completion claims the turn (only a pending one),
    // and the transcript and outbox rows of claimed turns land with it.
    const claimed = await tx.query<{ turn_id: string }>(
      `WITH r AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, tenant_id text, conversation_id text, instance text,
           turn_id text, seq int, sender_id text, text text, parts jsonb, annotations jsonb, created_at timestamptz, queue boolean)),
       t AS (
         SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(tenant_id text, instance text, platform_msg_id text,
           conversation_id text, turn_id text, message_id text, sender_id text, sender_role text, kind text, text text,
           parts jsonb, received_at timestamptz, annotations jsonb, memory jsonb)),
       claimed AS (
         UPDATE inbox i SET status = 'done', done_at = now() FROM t
         WHERE i.tenant_id = t.tenant_id AND i.instance = t.instance AND i.platform_msg_id = t.platform_msg_id AND i.status = 'pending'
         RETURNING i.turn_id),
       transcript AS (
         INSERT INTO messages (id, tenant_id, conversation_id, direction, turn_id, seq, platform_msg_id, sender_id, sender_role, kind, text, parts, annotations, created_at)
         SELECT message_id, tenant_id, conversation_id, 'in', turn_id, NULL, platform_msg_id, sender_id, sender_role, kind, text, parts, annotations, received_at
         FROM t JOIN claimed USING (turn_id)
         UNION ALL
         SELECT id, tenant_id, conversation_id, 'out', turn_id, seq, NULL, sender_id, 'bot', 'message', text, parts, annotations, created_at
         FROM r JOIN claimed USING (turn_id)
         RETURNING id),
       queued AS (
         INSERT INTO outbox (id, tenant_id, conversation_id, instance, seq, next_attempt_at, created_at)
         SELECT r.id, r.tenant_id, r.conversation_id, r.instance, r.seq, r.created_at, r.created_at FROM r JOIN transcript USING (id) WHERE r.queue),
       -- One UPDATE for both: two data-modifying CTEs touching the same row would keep only one change.
       touched AS (
         UPDATE conversations c SET last_activity_at = now(), memory = coalesce(d.memory, c.memory)
         FROM (SELECT DISTINCT ON (conversation_id) conversation_id, memory FROM t JOIN claimed USING (turn_id) ORDER BY conversation_id, memory IS NULL) d
         WHERE c.id = d.conversation_id AND (d.memory IS NOT NULL OR c.last_activity_at < now() - interval '1 minute'))
       SELECT turn_id FROM claimed`,
      [JSON.stringify(replies), JSON.stringify(turns)],
    )
    const done = new Set(claimed.map((c) => c.turn_id))
    return batch.map((c) => done.has(c.inbound.turnId))
  }

  async #sentBatch(tx: Sql, items: OutboxRef[]): Promise<void[]> {
    await tx.query(
      `UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1
       WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND status <> 'sent'`,
      [JSON.stringify(items.map((i) => i.id))],
    )
    return items.map(() => undefined)
  }
}
