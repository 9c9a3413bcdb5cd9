import { isTenantScope } from '../tenancy/tenant-id.js'

/** The one SQL surface the repositories use; PGlite and PostgreSQL both implement it. */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>
}

/** The connecting role, which owns the tables: migrations, and tests tampering underneath the app. */
export interface OwnerSql extends Sql {
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>
  /** Several statements separated by semicolons, no parameters (migrations). */
  exec(script: string): Promise<void>
}

/**
 * Tenant data is reachable only through a tenant-scoped transaction: it runs as the role
 * `switchboard_app` (which owns nothing) with `switchboard.tenant` set LOCAL to the tenant, so the
 * row-level security policies admit that tenant's rows and no others — whatever the SQL says.
 */
export interface Database {
  readonly kind: 'pglite' | 'postgres'
  /** One transaction scoped to `tenant`; rolls back when `fn` throws. */
  withTenant<T>(tenant: string, fn: (tx: Sql) => Promise<T>): Promise<T>
  /** A Sql whose every statement is its own transaction scoped to `tenant`. */
  tenant(tenant: string): Sql
  /**
   * One read-only transaction as `switchboard_platform`, which may read API keys and the audit
   * log across tenants and nothing else: authenticating a key before its tenant is known.
   */
  withPlatform<T>(fn: (tx: Sql) => Promise<T>): Promise<T>
  readonly owner: OwnerSql
  ping(): Promise<void>
  close(): Promise<void>
}

/** Where `openDatabase` connects: a PostgreSQL URL, or a PGlite folder (`memory://` for none). */
export type DatabaseLocation = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string }

export { PLATFORM_TENANT } from '../tenancy/tenant-id.js'

/**
 * The statements that open a scoped transaction. The tenant id is checked against the only shape a
 * tenant id can have before it is quoted into SQL, so the scope costs one round trip, not three.
 */
export function scopeStatements(scope: { tenant: string } | 'platform'): string {
  if (scope === 'platform') return `SET LOCAL ROLE switchboard_platform; SET LOCAL transaction_read_only = on`
  if (!isTenantScope(scope.tenant)) throw new Error(`not a tenant id: ${JSON.stringify(scope.tenant)}`)
  return `SET LOCAL ROLE switchboard_app; SELECT set_config('switchboard.tenant', '${scope.tenant}', true)`
}
