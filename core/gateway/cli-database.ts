import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadConfig, type LoadedConfig, type ResolvedTenant } from '../config/load.js'
import { sbError } from '../errors.js'
import type { PluginRegistry } from '../plugin/registry.js'
import type { Database, DatabaseLocation } from '../store/database.js'
import { openDatabase, redactUrl } from '../store/open.js'
import { acquirePgliteLock } from '../store/pglite-lock.js'
import type { CliIo } from './cli-args.js'

/** The config folder a command works on: --config, else $SWITCHBOARD_CONFIG_DIR, else ./config. */
export const configDirOf = (flag: string | undefined, env: NodeJS.ProcessEnv) => flag ?? env.SWITCHBOARD_CONFIG_DIR ?? 'config'

/**
 * Loads the config folder for an operator command, with the same environment overrides as
 * `start` (DATABASE_URL, SWITCHBOARD_DATA_DIR…). Every tenant file counts, whatever
 * SWITCHBOARD_TENANT selects for serving. A broken gateway.yaml is refused (it says where the
 * database is); a broken tenant file is the caller's to report.
 */
export async function loadCliConfig(dir: string, registry: PluginRegistry, io: CliIo): Promise<LoadedConfig> {
  const { SWITCHBOARD_TENANT: _serving, ...env } = io.env
  const config = await loadConfig({ dir, registry, env })
  const gatewayProblems = config.problems.filter((p) => !p.file.startsWith('tenants/'))
  if (gatewayProblems.length > 0) {
    throw sbError(
      'SB_ERR_CONFIG_INVALID',
      `the gateway configuration in ${config.dir} has ${gatewayProblems.length} problem${gatewayProblems.length === 1 ? '' : 's'}`,
      gatewayProblems.map((p) => ({ path: `${p.file}${p.path ? `: ${p.path}` : ''}`, message: p.message })),
    )
  }
  return config
}

/** The tenant file of `tenant` in the config folder, if there is one (valid or not). */
export function tenantFileOf(config: LoadedConfig, tenant: string): string | undefined {
  return ['yaml', 'yml'].map((ext) => `tenants/${tenant}.${ext}`).find((file) => existsSync(join(config.dir, file)))
}

/**
 * Opens the configured database for one command and closes it after `fn`. The embedded one is
 * locked first, so a command never opens it under a running gateway (which would corrupt it).
 */
export async function withDatabase<T>(config: LoadedConfig, io: CliIo, fn: (db: Database) => Promise<T>): Promise<T> {
  const { storage } = config.gateway
  const dataDir = resolve(storage.dataDir)
  const location: DatabaseLocation = storage.databaseUrl ? { kind: 'postgres', url: storage.databaseUrl } : { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') }
  const release = location.kind === 'pglite' ? await acquirePgliteLock(dataDir) : undefined
  try {
    if (location.kind === 'pglite') {
      io.err(`database: embedded (PGlite) in ${location.dataDir}${existsSync(location.dataDir) ? '' : ' (new, empty)'}`)
    } else {
      io.err(`database: PostgreSQL at ${redactUrl(location.url)}`)
    }
    const db = await openDatabase(location)
    try {
      return await fn(db)
    } finally {
      await db.close()
    }
  } finally {
    await release?.()
  }
}

/** One tenant's validated config for a command about that tenant; its problems, with paths, otherwise. */
export async function loadCliTenant(dir: string, id: string, registry: PluginRegistry, io: CliIo): Promise<{ tenant: ResolvedTenant; gateway: LoadedConfig['gateway'] }> {
  const config = await loadCliConfig(dir, registry, io)
  const tenant = config.tenants.find((t) => t.id === id)
  if (tenant) return { tenant, gateway: config.gateway }
  const file = tenantFileOf(config, id)
  if (!file) throw sbError('SB_ERR_CONFIG_INVALID', `no tenant "${id}" in ${config.dir} (expected tenants/${id}.yaml)`)
  const problems = config.problems.filter((p) => p.file === file)
  throw sbError(
    'SB_ERR_CONFIG_INVALID',
    `${file} is not valid`,
    problems.map((p) => ({ path: `${p.file}${p.path ? `: ${p.path}` : ''}`, message: p.message })),
  )
}
