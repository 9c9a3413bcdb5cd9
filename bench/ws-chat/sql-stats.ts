import type { Database, Sql } from '../../core/store/database.js'
import { wrapTenantSql } from './wrap-sql.js'

/**
 * Diagnostic (`--sql-stats`): per-statement counts and times of the gateway's queries, to split the
 * database share of a message by statement. It wraps `query` on the Database object the gateway
 * registered; every tenant-scoped statement passes through it (scope statements are not counted).
 *
 * `execMs` estimates time spent executing rather than queued: PGlite runs one query at a time, so a
 * query's execution starts when it was issued or when the previous one finished, whichever is later.
 * On PostgreSQL (a pool, concurrent) only `wallMs` is meaningful.
 */
export interface StatementStats {
  statement: string
  calls: number
  /** Items in the batch (length of a JSON-array first parameter), else 1 per call. */
  items: number
  wallMs: number
  execMs: number
}

export function traceQueries(db: Database): { reset(): void; snapshot(): StatementStats[] } {
  let stats = new Map<string, StatementStats>()
  let lastEnd = 0
  const traced = (tx: Sql): Sql => ({ query: async (text, params) => {
    const started = performance.now()
    try {
      return await tx.query(text, params)
    } finally {
      const ended = performance.now()
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 90)
      const entry = stats.get(key) ?? { statement: key, calls: 0, items: 0, wallMs: 0, execMs: 0 }
      entry.calls++
      entry.items += batchSize(params?.[0])
      entry.wallMs += ended - started
      entry.execMs += ended - Math.max(started, lastEnd)
      lastEnd = ended
      stats.set(key, entry)
    }
  } }) as Sql
  wrapTenantSql(db, traced)
  return {
    reset: () => {
      stats = new Map()
    },
    snapshot: () => [...stats.values()].sort((a, b) => b.execMs - a.execMs),
  }
}

function batchSize(first: unknown): number {
  if (typeof first !== 'string' || !first.startsWith('[')) return 1
  try {
    return (JSON.parse(first) as unknown[]).length
  } catch {
    return 1
  }
}
