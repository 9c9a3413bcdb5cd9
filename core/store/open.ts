import { sbError } from '../errors.js'
import type { Database, DatabaseLocation } from './database.js'
import { migrate } from './migrate.js'
import { openPglite } from './pglite.js'
import { openPostgres } from './postgres.js'

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(location: DatabaseLocation): Promise<Database> {
  let db: Database
  try {
    db = location.kind === 'postgres' ? await openPostgres({ url: location.url }) : await openPglite(location.dataDir)
  } catch (error) {
    const where = location.kind === 'postgres' ? redactUrl(location.url) : location.dataDir
    throw sbError('SB_ERR_STORE_UNAVAILABLE', `cannot open ${location.kind} database at ${where}: ${(error as Error).message}`, [], error)
  }
  await migrate(db)
  return db
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<unparseable url>'
  }
}
