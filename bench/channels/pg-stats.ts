import pg from 'pg'

export interface PgCounters {
  /** Transactions committed in the whole database (other sessions on it count too). */
  commits: number
  /** Rows inserted, updated or deleted in the gateway's schema. */
  rows: number
}

/**
 * How much database work a reply costs, from PostgreSQL's cumulative statistics. Other backends
 * publish theirs at most once a second, so a reading lags by up to a second: fine over a window.
 */
export async function pgCounters(url: string, schema: string): Promise<{ read(): Promise<PgCounters>; close(): Promise<void> }> {
  // Its own connection, opened once: never a connection set-up inside the window.
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  return {
    async read() {
      const { rows } = await client.query<{ commits: string; rows: string }>(
        `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS commits,
                (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = $1) AS rows`,
        [schema],
      )
      return { commits: Number(rows[0]!.commits), rows: Number(rows[0]!.rows) }
    },
    close: () => client.end(),
  }
}
