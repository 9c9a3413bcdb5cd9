import type { Database, Sql } from './database.js'

/**
 * Runs a mixed batch as one transaction per tenant (row-level security scopes a transaction to
 * one tenant), concurrently, and returns the results in the order of the batch.
 */
export async function perTenant<I extends { tenant: string }, O>(
  db: Database,
  batch: I[],
  run: (tx: Sql, items: I[]) => Promise<O[]>,
): Promise<O[]> {
  const groups = new Map<string, number[]>()
  batch.forEach((item, index) => {
    const group = groups.get(item.tenant)
    if (group) group.push(index)
    else groups.set(item.tenant, [index])
  })
  const results = new Array<O>(batch.length)
  await Promise.all(
    [...groups].map(async ([tenant, indexes]) => {
      const out = await db.withTenant(tenant, (tx) => run(tx, indexes.map((i) => batch[i]!)))
      indexes.forEach((batchIndex, i) => (results[batchIndex] = out[i] as O))
    }),
  )
  return results
}
