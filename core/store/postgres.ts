import pg from 'pg'
import { scopeStatements, type Database, type Sql } from './database.js'

// COUNT(*) and other int8 results fit comfortably in a double for anything we count.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

export interface PostgresOptions {
  url: string
  maxConnections?: number
  /** Rejects a connection attempt after this long instead of hanging the boot. */
  connectTimeoutMs?: number
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    application_name: 'switchboard',
  })
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const client = await pool.connect()
  client.release()
  const wrap = (conn: pg.Pool | pg.PoolClient): Sql => ({
    async query<T>(text: string, params?: readonly unknown[]) {
      const result = await conn.query(text, params as unknown[] | undefined)
      return result.rows as T[]
    },
  })
  const transaction = async <T>(begin: string, fn: (tx: Sql) => Promise<T>): Promise<T> => {
    const conn = await pool.connect()
    try {
      await conn.query(begin)
      const result = await fn(wrap(conn))
      await conn.query('COMMIT')
      return result
    } catch (error) {
      await conn.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      conn.release()
    }
  }
  // BEGIN and the scope travel as one simple-protocol message: one round trip.
  const scoped = async <T>(scope: Parameters<typeof scopeStatements>[0], fn: (tx: Sql) => Promise<T>): Promise<T> =>
    transaction(`BEGIN; ${scopeStatements(scope)}`, fn)
  const owner = wrap(pool)
  return {
    kind: 'postgres',
    withTenant: (tenant, fn) => scoped({ tenant }, fn),
    tenant: (tenant) => ({ query: (text, params) => scoped({ tenant }, (tx) => tx.query(text, params)) }),
    withPlatform: (fn) => scoped('platform', fn),
    owner: {
      query: owner.query,
      transaction: (fn) => transaction('BEGIN', fn),
      async exec(script) {
        await pool.query(script)
      },
    },
    async ping() {
      await pool.query('SELECT 1')
    },
    async close() {
      await pool.end()
    },
  }
}
