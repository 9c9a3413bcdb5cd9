/** The one SQL surface the repositories use; PGlite and PostgreSQL both implement it. */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>
}

export interface Database extends Sql {
  readonly kind: 'pglite' | 'postgres'
  /** Runs `fn` in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>
  /** Several statements separated by semicolons, no parameters (migrations). */
  exec(script: string): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

/** Where `openDatabase` connects: a PostgreSQL URL, or a PGlite folder (`memory://` for none). */
export type DatabaseLocation = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string }
