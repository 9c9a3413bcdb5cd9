import { inject, injectable } from 'tsyringe'
import { Tokens } from '../di/tokens.js'
import type { Part } from '../message/parts.js'
import type { Database } from './database.js'

export interface TranscriptEntry {
  id: string
  tenant: string
  conversationId: string
  direction: 'in' | 'out'
  turnId: string
  seq: number | null
  platformMsgId: string | null
  senderId: string
  senderRole: string
  kind: string
  text: string
  parts: Part[]
  annotations: Record<string, unknown>
  createdAt: Date
}

const columns = `id, tenant_id AS tenant, conversation_id AS "conversationId", direction, turn_id AS "turnId", seq,
  platform_msg_id AS "platformMsgId", sender_id AS "senderId", sender_role AS "senderRole", kind, text, parts,
  annotations, created_at AS "createdAt"`

/** An accepted inbound message still in the inbox, shaped like a transcript row. */
export const pendingColumns = `message_id AS id, tenant_id AS tenant, conversation_id AS "conversationId", 'in' AS direction,
  turn_id AS "turnId", NULL::int AS seq, platform_msg_id AS "platformMsgId", activity->'from'->>'id' AS "senderId",
  coalesce(activity->'from'->>'role', 'user') AS "senderRole", activity->>'kind' AS kind, activity->>'text' AS text,
  activity->'parts' AS parts, '{}'::jsonb AS annotations, received_at AS "createdAt"`

/** Reads the transcript; writes happen atomically with the inbox and outbox (DeliveryStore). */
@injectable()
export class TranscriptRepository {
  constructor(@inject(Tokens.Database) private readonly db: Database) {}

  /** Outbound messages after `afterSeq`, in order: what a reconnecting web-chat client missed. */
  outboundAfter(tenant: string, conversationId: string, afterSeq: number, limit = 500): Promise<TranscriptEntry[]> {
    return this.db.tenant(tenant).query<TranscriptEntry>(
      `SELECT ${columns} FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
      [tenant, conversationId, afterSeq, limit],
    )
  }

  /**
   * The latest `limit` messages in both directions, oldest first, including messages accepted
   * whose turn is still running (they enter the transcript when it commits).
   */
  async history(tenant: string, conversationId: string, limit = 100): Promise<TranscriptEntry[]> {
    const rows = await this.db.tenant(tenant).query<TranscriptEntry>(
      `SELECT * FROM (
         SELECT ${columns} FROM messages WHERE tenant_id = $1 AND conversation_id = $2
         UNION ALL
         SELECT ${pendingColumns} FROM inbox WHERE tenant_id = $1 AND conversation_id = $2 AND status = 'pending'
       ) h ORDER BY "createdAt" DESC, id DESC LIMIT $3`,
      [tenant, conversationId, limit],
    )
    return rows.reverse()
  }

  /** Where a conversation stands before its next turn: the last reply seq and the plugins' memory. */
  async turnState(tenant: string, conversationId: string): Promise<{ lastSeq: number; memory: Record<string, unknown> }> {
    const rows = await this.db.tenant(tenant).query<{ last: number | null; memory: Record<string, unknown> | null }>(
      `SELECT (SELECT max(seq) FROM messages WHERE tenant_id = $1 AND conversation_id = $2) AS last,
              (SELECT memory FROM conversations WHERE tenant_id = $1 AND id = $2) AS memory`,
      [tenant, conversationId],
    )
    return { lastSeq: rows[0]?.last ?? 0, memory: rows[0]?.memory ?? {} }
  }

  async lastSeq(tenant: string, conversationId: string): Promise<number> {
    const rows = await this.db.tenant(tenant).query<{ last: number | null }>(
      `SELECT max(seq) AS last FROM messages WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenant, conversationId],
    )
    return rows[0]?.last ?? 0
  }

  byTurn(tenant: string, turnId: string): Promise<TranscriptEntry[]> {
    return this.db.tenant(tenant).query<TranscriptEntry>(
      `SELECT ${columns} FROM messages WHERE tenant_id = $1 AND turn_id = $2 ORDER BY direction, seq NULLS FIRST`,
      [tenant, turnId],
    )
  }
}
