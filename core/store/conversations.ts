import { randomUUID } from 'node:crypto'
import { inject, injectable } from 'tsyringe'
import { Tokens } from '../di/tokens.js'
import type { Database } from './database.js'

export interface ConversationRecord {
  id: string
  tenant: string
  channel: string
  instance: string
  externalId: string
  userId: string
  userName: string | null
  locale: string | null
  status: string
  /** The channel's own conversation reference (see EnsureConversation.reference). */
  reference: Record<string, unknown> | null
  createdAt: Date
  lastActivityAt: Date
  /** Only from ensure(): true when this call created it. */
  created?: boolean
}

export interface EnsureConversation {
  tenant: string
  channel: string
  instance: string
  externalId: string
  userId: string
  userName?: string
  locale?: string
  /**
   * What the channel needs to send into this conversation later (proactive replies, outbox
   * retries after a restart). Replaces the stored one when given.
   */
  reference?: Record<string, unknown>
}

const columns = `id, tenant_id AS tenant, channel, instance, external_id AS "externalId", user_id AS "userId",
  user_name AS "userName", locale, status, reference, created_at AS "createdAt", last_activity_at AS "lastActivityAt"`

@injectable()
export class ConversationRepository {
  constructor(@inject(Tokens.Database) private readonly db: Database) {}

  /** Finds the conversation of (tenant, instance, externalId), creating it the first time. */
  async ensure(input: EnsureConversation): Promise<ConversationRecord> {
    const rows = await this.db.tenant(input.tenant).query<ConversationRecord>(
      `INSERT INTO conversations (id, tenant_id, channel, instance, external_id, user_id, user_name, locale, reference)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (tenant_id, instance, external_id) DO UPDATE SET last_activity_at = now(), reference = coalesce(EXCLUDED.reference, conversations.reference)
       RETURNING ${columns}, (xmax = 0) AS created`,
      [randomUUID(), input.tenant, input.channel, input.instance, input.externalId, input.userId, input.userName ?? null, input.locale ?? null, input.reference ? JSON.stringify(input.reference) : null],
    )
    return rows[0]!
  }

  /**
   * Marks a conversation ended by its platform (a phone call hung up). True only for the call that
   * ended it, so a redelivered hang-up is a no-op.
   */
  async close(tenant: string, id: string): Promise<boolean> {
    const rows = await this.db.tenant(tenant).query<{ id: string }>(
      `UPDATE conversations SET status = 'closed', last_activity_at = now() WHERE tenant_id = $1 AND id = $2 AND status <> 'closed' RETURNING id`,
      [tenant, id],
    )
    return rows.length > 0
  }

  async get(tenant: string, id: string): Promise<ConversationRecord | undefined> {
    const rows = await this.db.tenant(tenant).query<ConversationRecord>(`SELECT ${columns} FROM conversations WHERE tenant_id = $1 AND id = $2`, [tenant, id])
    return rows[0]
  }

  async list(tenant: string, options: { limit?: number } = {}): Promise<ConversationRecord[]> {
    return this.db.tenant(tenant).query<ConversationRecord>(
      `SELECT ${columns} FROM conversations WHERE tenant_id = $1 ORDER BY last_activity_at DESC LIMIT $2`,
      [tenant, options.limit ?? 50],
    )
  }

  /**
   * Finds a tenant's conversations by user (id, platform id or name), activity window and text said
   * in them, newest first. Everything is a bound parameter; the text is matched literally.
   */
  async search(tenant: string, filter: ConversationSearch): Promise<ConversationRecord[]> {
    const text = filter.text === undefined ? null : `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    return this.db.tenant(tenant).query<ConversationRecord>(
      `SELECT ${columns} FROM conversations c
       WHERE ($1::text IS NULL OR c.user_id = $1 OR c.external_id = $1 OR c.user_name = $1)
         AND ($2::timestamptz IS NULL OR c.last_activity_at >= $2)
         AND ($3::timestamptz IS NULL OR c.created_at < $3)
         AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.text ILIKE $4 ESCAPE '\\'))
         AND ($5::text IS NULL OR c.channel = $5)
       ORDER BY c.last_activity_at DESC, c.id LIMIT $6`,
      [filter.user ?? null, filter.from ?? null, filter.to ?? null, text, filter.channel ?? null, filter.limit ?? 50],
    )
  }
}

export interface ConversationSearch {
  user?: string
  from?: Date
  to?: Date
  text?: string
  channel?: string
  limit?: number
}
