import { BatchQueue } from './batch-queue.js'
import type { Database, Sql } from './database.js'
import { isDataError } from './errors.js'

/**
 * Group commit for tenant data: row-level security scopes a transaction to one tenant, so each
 * batch is split by tenant and each part is one transaction, succeeding or failing on its own.
 */
export function tenantBatchQueue<I, O>(db: Database, tenantOf: (item: I) => string, write: (tx: Sql, items: I[]) => Promise<O[]>): BatchQueue<I, O> {
  return new BatchQueue<I, O>((items) => db.withTenant(tenantOf(items[0]!), (tx) => write(tx, items)), {
    // A pool can have a few transactions in flight; PGlite is one connection.
    concurrency: db.kind === 'postgres' ? 3 : 1,
    isolate: isDataError,
    partition: tenantOf,
  })
}
