import { userInfo } from 'node:os'
import { ApiKeyRequestError, ApiKeyStore, keyIdOf, type ApiKeyRecord } from '../admin/auth/api-keys.js'
import { isRole, ROLES, type Role } from '../admin/auth/rbac.js'
import { AuditLog } from '../audit/audit-log.js'
import type { AuditInput } from '../audit/entry.js'
import { systemClock } from '../clock.js'
import { sbError } from '../errors.js'
import type { PluginRegistry } from '../plugin/registry.js'
import { PLATFORM_TENANT } from '../store/database.js'
import { CliUsageError, formatTime, parseFlags, plural, scopeFlag, subcommand, type CliIo } from './cli-args.js'
import { configDirOf, loadCliConfig, tenantFileOf, withDatabase } from './cli-database.js'

export const KEYS_USAGE = `Usage:
  switchboard keys create --tenant ID --role ROLE [--name NAME] [--expires DATE] [--config DIR]
  switchboard keys create --platform [--name NAME] [--expires DATE] [--config DIR]
  switchboard keys list (--tenant ID | --platform) [--config DIR]
  switchboard keys revoke (--tenant ID | --platform) KEY_ID [--config DIR]

Roles: ${ROLES.filter((r) => r !== 'platform-admin').join(', ')} (tenant keys); platform-admin (--platform)
DATE: ISO 8601, e.g. 2030-01-31 or 2030-01-31T18:00:00Z`

/** What the audit log records as the actor of every CLI change. */
export const CLI_ACTOR = { type: 'system', id: 'cli' } as const
const NAME_MAX = 100
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/

export async function keysCommand(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  return subcommand(
    'keys',
    args,
    { create: (rest) => create(rest, registry, io), list: (rest) => list(rest, registry, io), revoke: (rest) => revoke(rest, registry, io) },
    KEYS_USAGE,
    io,
  )
}

const common = {
  tenant: { type: 'string', short: 't' },
  platform: { type: 'boolean' },
  config: { type: 'string', short: 'c' },
} as const


async function create(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { ...common, role: { type: 'string', short: 'r' }, name: { type: 'string', short: 'n' }, expires: { type: 'string' } }, KEYS_USAGE)
  const tenant = scopeFlag(values, KEYS_USAGE, true)
  const role = roleOf(values.role, tenant, values.platform === true)
  const name = nameOf(values.name)
  const expiresAt = expiryOf(values.expires)

  const config = await loadCliConfig(configDirOf(values.config, io.env), registry, io)
  if (tenant !== PLATFORM_TENANT) requireTenantFile(config, tenant, io)
  return withDatabase(config, io, async (db) => {
    const keys = new ApiKeyStore(db, systemClock)
    const audit = new AuditLog(db, systemClock)
    const { key, record } = await keys.create(tenant, { name, role, createdBy: `${CLI_ACTOR.type}:${CLI_ACTOR.id}`, expiresAt }).catch((error: unknown) => {
      // The flags were checked above; this is the store's own word on a request it refuses.
      if (!(error instanceof ApiKeyRequestError)) throw error
      const field = (error as { field?: string }).field
      throw new CliUsageError(`${field ? `--${field === 'expiresAt' ? 'expires' : field}: ` : ''}${error.message}`, KEYS_USAGE)
    })
    try {
      await audit.record(auditEntry(tenant, 'key.create', record, { name: record.name, role: record.role, expiresAt: record.expiresAt }))
    } catch (error) {
      // An unaudited key must not stay usable: nobody could tell later where it came from.
      await keys.revoke(tenant, record.id).catch(() => {})
      throw sbError('SB_ERR_STORE_UNAVAILABLE', `the new key could not be recorded in the audit log, so it was revoked again: ${(error as Error).message}`, [], error)
    }
    io.err(`Created API key ${record.id} "${record.name}" for ${describeTenant(tenant)}: role ${record.role}, expires ${formatTime(record.expiresAt)}.`)
    io.out(key)
    io.err('This is the only time the key is shown (only its hash is stored): keep it now. Revoke it with `switchboard keys revoke`.')
    return 0
  })
}

async function list(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const { values } = parseFlags(args, common, KEYS_USAGE)
  const tenant = scopeFlag(values, KEYS_USAGE, true)
  const config = await loadCliConfig(configDirOf(values.config, io.env), registry, io)
  if (tenant !== PLATFORM_TENANT && !tenantFileOf(config, tenant)) io.err(`note: ${config.dir} has no tenants/${tenant}.yaml; listing the keys stored for it anyway`)
  return withDatabase(config, io, async (db) => {
    const records = await new ApiKeyStore(db, systemClock).list(tenant)
    if (records.length === 0) {
      io.out(`${describeTenant(tenant)}: no API keys`)
      return 0
    }
    io.out(`${describeTenant(tenant)}: ${plural(records.length, 'API key')}`)
    const now = Date.now()
    const rows = records.map((r) => [r.id, r.name, r.role, stateOf(r, now), formatTime(r.createdAt), formatTime(r.expiresAt), formatTime(r.lastUsedAt), r.createdBy])
    for (const line of table(['ID', 'NAME', 'ROLE', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED', 'CREATED BY'], rows)) io.out(`  ${line}`)
    return 0
  })
}

async function revoke(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, common, KEYS_USAGE, true)
  const tenant = scopeFlag(values, KEYS_USAGE, true)
  if (positionals.length !== 1) throw new CliUsageError(positionals.length === 0 ? 'missing the id of the key to revoke (switchboard keys list shows them)' : `revoke takes one key id, not ${positionals.length}`, KEYS_USAGE)
  // The id is inside the key itself, so a leaked key can be revoked by pasting it.
  const id = keyIdOf(positionals[0]!)
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new CliUsageError(`"${id}" is not a key id`, KEYS_USAGE)
  const config = await loadCliConfig(configDirOf(values.config, io.env), registry, io)
  return withDatabase(config, io, async (db) => {
    const keys = new ApiKeyStore(db, systemClock)
    const record = await keys.get(tenant, id)
    if (!record) {
      io.err(`switchboard: ${describeTenant(tenant)} has no API key ${id} (switchboard keys list ${tenant === PLATFORM_TENANT ? '--platform' : `--tenant ${tenant}`} shows them)`)
      return 1
    }
    if (record.revokedAt || !(await keys.revoke(tenant, id))) {
      io.err(`switchboard: API key ${id} of ${describeTenant(tenant)} was already revoked${record.revokedAt ? ` at ${formatTime(record.revokedAt)}` : ''}`)
      return 1
    }
    const audit = new AuditLog(db, systemClock)
    await audit.record(auditEntry(tenant, 'key.revoke', record, { name: record.name, role: record.role }))
    io.out(`Revoked API key ${id} "${record.name}" of ${describeTenant(tenant)}; it stops working at once.`)
    return 0
  })
}

function roleOf(value: string | undefined, tenant: string, platformFlag: boolean): Role {
  if (tenant === PLATFORM_TENANT) {
    if (value !== undefined && value !== 'platform-admin') throw new CliUsageError(`--role ${value}: platform keys always have role platform-admin`, KEYS_USAGE)
    return 'platform-admin'
  }
  if (value === undefined) throw new CliUsageError(`missing --role <role> (one of: ${ROLES.filter((r) => r !== 'platform-admin').join(', ')})`, KEYS_USAGE)
  if (!isRole(value)) throw new CliUsageError(`--role: unknown role "${value}" (one of: ${ROLES.join(', ')})`, KEYS_USAGE)
  if (value === 'platform-admin' && !platformFlag) throw new CliUsageError(`--role platform-admin is for platform keys, not tenant ${tenant}: use --platform instead of --tenant`, KEYS_USAGE)
  return value
}

function nameOf(value: string | undefined): string {
  if (value === undefined) return `cli ${new Date().toISOString().slice(0, 10)}`
  const name = value.trim()
  if (!name) throw new CliUsageError('--name must not be empty', KEYS_USAGE)
  if (name.length > NAME_MAX) throw new CliUsageError(`--name is ${name.length} characters long; at most ${NAME_MAX}`, KEYS_USAGE)
  return name
}

function expiryOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const date = ISO_DATE.test(value.trim()) ? new Date(value.trim()) : undefined
  if (!date || !Number.isFinite(date.getTime())) throw new CliUsageError(`--expires: "${value}" is not an ISO 8601 date (e.g. 2030-01-31 or 2030-01-31T18:00:00Z)`, KEYS_USAGE)
  if (date.getTime() <= Date.now()) throw new CliUsageError(`--expires: ${formatTime(date)} is in the past`, KEYS_USAGE)
  return date
}

function requireTenantFile(config: Awaited<ReturnType<typeof loadCliConfig>>, tenant: string, io: CliIo): void {
  const file = tenantFileOf(config, tenant)
  if (!file) {
    const known = config.tenants.map((t) => t.id)
    throw sbError('SB_ERR_NOT_FOUND', `--tenant: ${config.dir} has no tenant "${tenant}" (tenants/${tenant}.yaml); known: ${known.join(', ') || 'none'}`)
  }
  const problems = config.problems.filter((p) => p.file === file)
  if (problems.length > 0) io.err(`note: ${file} has ${plural(problems.length, 'problem')}; the gateway will not serve ${tenant} until they are fixed (switchboard config check)`)
}

function auditEntry(tenant: string, action: string, record: ApiKeyRecord, details: Record<string, unknown>): AuditInput {
  let osUser: string | undefined
  try {
    osUser = userInfo().username
  } catch {
    // no passwd entry (some containers)
  }
  return { tenant, actor: CLI_ACTOR, action, target: `key:${record.id}`, outcome: 'success', details: { ...details, ...(osUser ? { osUser } : {}) } }
}

const describeTenant = (tenant: string) => (tenant === PLATFORM_TENANT ? 'the platform' : `tenant ${tenant}`)

function stateOf(record: ApiKeyRecord, now: number): string {
  if (record.revokedAt) return 'revoked'
  if (record.expiresAt && record.expiresAt.getTime() <= now) return 'expired'
  return 'active'
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [header, ...rows].map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
}
