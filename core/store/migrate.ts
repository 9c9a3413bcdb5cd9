import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Database } from './database.js'

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))
// Any constant works; it only has to be the same for every replica migrating one database.
const MIGRATION_LOCK = 7_311_992

/**
 * Applies migrations/NNN_*.sql in order, each in its own transaction, under an advisory lock so
 * replicas booting together migrate once. The same files run on PGlite and PostgreSQL.
 */
export async function migrate(db: Database): Promise<string[]> {
  await db.owner.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
  })
  const files = (await readdir(migrationsDir)).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort()
  const applied: string[] = []
  for (const file of files) {
    const sql = await readFile(migrationsDir + file, 'utf8')
    const done = await db.owner.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [file])
      if (seen.length > 0) return false
      for (const statement of splitStatements(sql)) await tx.query(statement)
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [file])
      return true
    })
    if (done) applied.push(file)
  }
  return applied
}

/**
 * Statements end at a semicolon at the end of a line, except inside a `$$` body (a DO block or a
 * function), whose own lines end in semicolons too.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = []
  let current: string[] = []
  let inBody = false
  for (const line of sql.split('\n')) {
    if (!inBody && /^\s*--/.test(line)) continue
    current.push(line)
    if ((line.match(/\$\$/g) ?? []).length % 2 === 1) inBody = !inBody
    if (!inBody && /;\s*$/.test(line)) {
      statements.push(current.join('\n').trim().replace(/;$/, ''))
      current = []
    }
  }
  const rest = current.join('\n').trim()
  if (rest) statements.push(rest)
  return statements.filter(Boolean)
}
