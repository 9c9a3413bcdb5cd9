import pg from 'pg'
import type { Database, Sql } from './database.js'

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
  const root = wrap(pool)
  return {
    kind: 'postgres',
    query: root.query,
    async transaction(fn) {
      const conn = await pool.connect()
      try {
        await conn.query('BEGIN')
        const result = await fn(wrap(conn))
        await conn.query('COMMIT')
        return result
      } catch (error) {
        await conn.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        conn.release()
      }
    },
    async exec(script) {
      await pool.query(script)
    },
    async ping() {
      await pool.query('SELECT 1')
    },
    async close() {
      await pool.end()
    },
  }
}
