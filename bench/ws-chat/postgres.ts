import { randomBytes } from 'node:crypto'
import pg from 'pg'

export interface BenchSchema {
  /** Reaches the fresh schema through `search_path`, like test/databases.ts does. */
  url: string
  schema: string
  drop(): Promise<void>
}

/** A fresh, empty schema on the given PostgreSQL; the gateway migrates it on start. */
export async function createSchema(baseUrl: string): Promise<BenchSchema> {
  const schema = `sb_bench_${randomBytes(6).toString('hex')}`
  await withClient(baseUrl, (client) => client.query(`CREATE SCHEMA ${schema}`))
  const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
  let dropped = false
  return {
    url,
    schema,
    async drop() {
      if (dropped) return
      dropped = true
      await withClient(baseUrl, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))
    },
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL at ${url}: ${(error as Error).message}`)
  }
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}
