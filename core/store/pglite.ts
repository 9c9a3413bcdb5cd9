import { mkdir } from 'node:fs/promises'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import { scopeStatements, type Database, type Sql } from './database.js'

/**
 * Embedded PostgreSQL (WASM) so `npm start` needs nothing installed. PGlite is a single
 * connection that queues queries itself; transactions hold it exclusively.
 */
export async function openPglite(dataDir: string, options: { from?: Blob } = {}): Promise<Database & { snapshot(): Promise<Blob> }> {
  const inMemory = dataDir === 'memory://' || dataDir === ''
  if (!inMemory) await mkdir(dataDir, { recursive: true })
  // `from`: a snapshot of another database's files, which skips the seconds initdb takes.
  const loaded = options.from ? { loadDataDir: options.from } : {}
  const db = inMemory ? new PGlite(loaded) : new PGlite(dataDir, loaded)
  await db.waitReady
  const wrap = (conn: PGlite | Transaction): Sql => ({
    async query<T>(text: string, params?: readonly unknown[]) {
      const result = await conn.query<T>(text, params as unknown[] | undefined)
      return result.rows
    },
  })
  const scoped = async <T>(scope: Parameters<typeof scopeStatements>[0], fn: (tx: Sql) => Promise<T>): Promise<T> => {
    const statements = scopeStatements(scope)
    return db.transaction(async (tx) => {
      await tx.exec(statements)
      return fn(wrap(tx))
    })
  }
  const owner = wrap(db)
  return {
    kind: 'pglite',
    withTenant: (tenant, fn) => scoped({ tenant }, fn),
    tenant: (tenant) => ({ query: (text, params) => scoped({ tenant }, (tx) => tx.query(text, params)) }),
    withPlatform: (fn) => scoped('platform', fn),
    owner: {
      query: owner.query,
      transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
      async exec(script) {
        await db.exec(script)
      },
    },
    async ping() {
      await db.query('SELECT 1')
    },
    snapshot: () => db.dumpDataDir('none'),
    async close() {
      if (!db.closed) await db.close()
    },
  }
}
