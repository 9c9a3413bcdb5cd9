import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Database } from '../core/store/database.js'
import { openDatabase } from '../core/store/open.js'

/** The machine's PostgreSQL (CI starts it); a suite that needs it fails when it is down. */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** The machine's Redis (CI starts it); suites that need it fail when it is down. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export interface TestDatabase {
  db: Database
  /** A URL that reaches the same schema (for a second process or a restarted gateway). */
  url?: string
  drop(): Promise<void>
}

/** A fresh, migrated schema of its own on the real PostgreSQL, dropped afterwards. */
export async function freshPostgres(): Promise<TestDatabase> {
  const schema = `sb_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 })
  try {
    await admin.connect()
  } catch (error) {
    throw new Error(`PostgreSQL is required at ${POSTGRES_URL} (start it: pg_ctlcluster --skip-systemctl-redirect 15 main start): ${(error as Error).message}`)
  }
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
  const db = await openDatabase({ kind: 'postgres', url })
  return {
    db,
    url,
    async drop() {
      await db.close()
      const cleanup = new pg.Client({ connectionString: POSTGRES_URL })
      await cleanup.connect()
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`)
      await cleanup.end()
    },
  }
}

export async function freshPglite(): Promise<TestDatabase> {
  const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' })
  return { db, drop: () => db.close() }
}

/** Both engines, for suites that must hold on each. */
export const engines = [
  ['PGlite', freshPglite],
  ['PostgreSQL', freshPostgres],
] as const
