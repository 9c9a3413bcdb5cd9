import type { Database, Sql } from '../../core/store/database.js'

/**
 * Puts `wrap` between the repositories and every tenant-scoped statement, for the diagnostics:
 * tenant data only flows through `withTenant` and `tenant()`, so wrapping those sees all of it.
 */
export function wrapTenantSql(db: Database, wrap: (tx: Sql) => Sql): void {
  const original = db.withTenant.bind(db)
  const withTenant: Database['withTenant'] = (tenant, fn) => original(tenant, (tx) => fn(wrap(tx)))
  Object.assign(db, {
    withTenant,
    tenant: (tenant: string): Sql => ({ query: (text, params) => withTenant(tenant, (tx) => tx.query(text, params)) }),
  })
}
