import { inject, injectable } from 'tsyringe'
import type { Clock } from '../clock.js'
import { Tokens } from '../di/tokens.js'
import { sbError } from '../errors.js'
import type { Database } from '../store/database.js'
import { newId } from '../store/ids.js'
import type { NoteStore } from './ports.js'
import type { Actor, Note } from './types.js'

const columns = `id, conversation_id AS "conversationId", author_id AS "authorId", author_name AS "authorName", text, created_at AS "createdAt"`

/** Agents' internal notes on a conversation: for colleagues, never sent to the customer. */
@injectable()
export class NoteRepository implements NoteStore {
  constructor(
    @inject(Tokens.Database) private readonly db: Database,
    @inject(Tokens.Clock) private readonly clock: Clock,
  ) {}

  async add(tenant: string, conversationId: string, author: Actor, text: string): Promise<Note> {
    // Selected from the tenant's own conversations: another tenant's id inserts nothing.
    const [note] = await this.db.tenant(tenant).query<Note>(
      `INSERT INTO conversation_notes (id, tenant_id, conversation_id, author_id, author_name, text, created_at)
       SELECT $1, $2, c.id, $4::text, $5::text, $6::text, $7::timestamptz FROM conversations c WHERE c.tenant_id = $2 AND c.id = $3
       RETURNING ${columns}`,
      [newId('no_'), tenant, conversationId, author.id, author.name ?? null, text, new Date(this.clock.now())],
    )
    if (!note) throw sbError('SB_ERR_NOT_FOUND', `no conversation ${conversationId}`)
    return note
  }

  list(tenant: string, conversationId: string): Promise<Note[]> {
    return this.db.tenant(tenant).query<Note>(`SELECT ${columns} FROM conversation_notes WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at, id`, [tenant, conversationId])
  }
}
