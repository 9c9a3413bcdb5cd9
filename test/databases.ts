import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Database } from '../core/store/database.js'
import { migrate } from '../core/store/migrate.js'
import { openDatabase } from '../core/store/open.js'
import { openPglite } from '../core/store/pglite.js'

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

let migratedPglite: Promise<Blob> | undefined

/**
 * PGlite's initdb and the migrations take seconds, most of a data-layer test's time: the first
 * database in a test process is built once and snapshotted, and every fresh one starts from a copy.
 */
function pgliteTemplate(): Promise<Blob> {
  return (migratedPglite ??= (async () => {
    const db = await openPglite('memory://')
    await migrate(db)
    const snapshot = await db.snapshot()
    await db.close()
    return snapshot
  })())
}

export async function freshPglite(): Promise<TestDatabase> {
  const db = await openPglite('memory://', { from: await pgliteTemplate() })
  // Nothing to do unless a migration was added after the snapshot; cheap either way.
  await migrate(db)
  return { db, drop: () => db.close() }
}

/** Both engines, for suites that must hold on each. */
export const engines = [
  ['PGlite', freshPglite],
  ['PostgreSQL', freshPostgres],
] as const
