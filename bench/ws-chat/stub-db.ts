import type { Database, Sql } from '../../core/store/database.js'

/**
 * Diagnostic (`--stub-db`): answers the web-chat hot path's statements from memory, so a run
 * measures the gateway without any database cost — what is left is sockets, protocol, pipeline,
 * batching and JSON. Nothing is stored: every guarantee that needs the store is off, which is why
 * this is a separate, clearly labelled row and never the real benchmark.
 *
 * The parameters are still serialized by the repositories (that cost stays, as it would with any
 * database); statements this stub does not know go to the real database.
 */
const turnIds = (json: unknown) => [...String(json).matchAll(/"turn_id":"([^"]+)"/g)].map((m) => ({ turn_id: m[1] }))

export function stubQueries(db: Database): void {
  const original = db.withTenant.bind(db)
  // No transaction either: a statement the stub answers never reaches the database.
  const forTenant = (tenant: string): Sql => ({
    query: (async (text: string, params: readonly unknown[] = []): Promise<unknown[]> => {
      if (text.includes('INSERT INTO conversations')) {
        const [id, tenantId, channel, instance, externalId, userId, userName, locale] = params as (string | null)[]
        const now = new Date()
        return [{ id, tenant: tenantId, channel, instance, externalId, userId, userName, locale, status: 'open', createdAt: now, lastActivityAt: now }]
      }
      if (text.includes('max(seq) AS last')) return [{ last: null }]
      // accept: every record is new; the inbox INSERT returns its turn_id.
      if (text.includes('INSERT INTO inbox')) return turnIds(params[0])
      // commit (transcript + outbox + inbox done) claims every turn it is given; "mark sent" returns nothing.
      if (text.includes('INSERT INTO outbox')) return turnIds(params[1])
      if (text.startsWith('UPDATE outbox')) return []
      if (text.includes('AND seq > $3')) return []
      return original(tenant, (tx) => tx.query(text, params))
    }) as Sql['query'],
  })
  Object.assign(db, { withTenant: <T>(tenant: string, fn: (tx: Sql) => Promise<T>) => fn(forTenant(tenant)), tenant: forTenant })
}
