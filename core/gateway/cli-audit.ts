import { AuditLog } from '../audit/audit-log.js'
import { systemClock } from '../clock.js'
import type { PluginRegistry } from '../plugin/registry.js'
import { parseFlags, plural, scopeFlag, subcommand, type CliIo } from './cli-args.js'
import { configDirOf, loadCliConfig, withDatabase } from './cli-database.js'

export const AUDIT_USAGE = `Usage:
  switchboard audit verify [--tenant ID | --platform] [--config DIR]
      recomputes the hash chain of one tenant's audit log, or of every chain; exit 1 if any is broken`

export async function auditCommand(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  return subcommand('audit', args, { verify: (rest) => verify(rest, registry, io) }, AUDIT_USAGE, io)
}

/** One line per chain: `acme: ok, 42 entries` or `acme: BROKEN at seq 17: <reason>`; exit 1 when any is broken. */
async function verify(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const { values } = parseFlags(
    args,
    { tenant: { type: 'string', short: 't' }, platform: { type: 'boolean' }, config: { type: 'string', short: 'c' } },
    AUDIT_USAGE,
  )
  const only = scopeFlag(values, AUDIT_USAGE)
  const config = await loadCliConfig(configDirOf(values.config, io.env), registry, io)
  return withDatabase(config, io, async (db) => {
    const audit = new AuditLog(db, systemClock)
    const chains = only ? [only] : await audit.tenants()
    if (chains.length === 0) {
      io.out('no audit entries yet')
      return 0
    }
    const broken: string[] = []
    for (const tenant of chains) {
      const result = await audit.verify(tenant)
      if (result.ok) {
        io.out(`${tenant}: ok, ${plural(result.entries, 'entry', 'entries')}`)
      } else {
        broken.push(tenant)
        io.out(`${tenant}: BROKEN at seq ${result.firstBroken!.seq}: ${result.firstBroken!.reason}`)
      }
    }
    if (broken.length === 0) return 0
    io.err(`switchboard: the audit log of ${broken.join(', ')} does not verify: rows were altered or removed outside Switchboard`)
    return 1
  })
}
