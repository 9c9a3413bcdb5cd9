import { loadConfig } from '../config/load.js'
import { formatProblem } from '../config/problems.js'
import { isSwitchboardError } from '../errors.js'
import type { PluginRegistry } from '../plugin/registry.js'
import { CliUsageError, parseFlags, type CliIo } from './cli-args.js'
import { auditCommand } from './cli-audit.js'
import { evalCommand } from './cli-eval.js'
import { findPluginCommand, pluginCommandContext } from './cli-plugins.js'
import { keysCommand } from './cli-keys.js'
import { tenantsCommand } from './cli-tenants.js'
import { startGateway, type RunningGateway } from './gateway.js'

export type { CliIo } from './cli-args.js'

const USAGE = `Usage: switchboard <command> [options]

Commands:
  start [--config DIR] [--tenant ID] [--port N]   run the gateway (defaults: ./config, every tenant, port 8080 or $PORT)
  config check [DIR]                              validate a config folder (gateway.yaml + tenants/*.yaml) without starting
  tenants list                                    every tenant file: valid or not (and why), its channels and pipeline
  keys create --tenant ID --role ROLE [--name NAME] [--expires DATE]
                                                  create an admin API key; it is printed once, on stdout
  keys create --platform [--name NAME] [--expires DATE]
                                                  create a platform-admin key (all tenants)
  keys list (--tenant ID | --platform)            a tenant's keys (never the keys themselves)
  keys revoke (--tenant ID | --platform) KEY_ID   revoke a key; it stops working at once
  audit verify [--tenant ID | --platform]         check the audit log's hash chains (all of them by default)
  eval --tenant ID FILE.jsonl                     score the tenant's intent and sentiment classifiers on a labelled file
  kb ingest --tenant ID [DIR]                     (re)build the tenant's knowledge base from DIR (default: its configured folder)
  help                                            show this text

Every command but \`config check\` takes --config DIR. keys and audit open the configured database
(DATABASE_URL, else the embedded one in the data folder, which they refuse to open while a gateway
runs on it: use the admin API /admin/v1 then). Roles: tenant-admin, agent, auditor, viewer.
Dates: ISO 8601, e.g. 2030-01-31 or 2030-01-31T18:00:00Z.

Environment: PORT, HOST, DATABASE_URL, SWITCHBOARD_CONFIG_DIR, SWITCHBOARD_DATA_DIR, SWITCHBOARD_TENANT,
             SWITCHBOARD_SESSION_SECRET, SWITCHBOARD_SHUTDOWN_GRACE_MS, LOG_LEVEL (see deploy/env.example)`

/** Runs a CLI command; resolves to the process exit code (`start` resolves once stopped). */
export async function runCli(argv: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'start':
        return await start(rest, registry, io)
      case 'config':
        if (rest[0] === 'check') return await configCheck(rest.slice(1), registry, io)
        io.err(`switchboard: unknown config command "${rest[0] ?? ''}"\n\n${USAGE}`)
        return 2
      case 'keys':
        return await keysCommand(rest, registry, io)
      case 'tenants':
        return await tenantsCommand(rest, registry, io)
      case 'audit':
        return await auditCommand(rest, registry, io)
      case 'eval':
        return await evalCommand(rest, registry, io)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE)
        return command === undefined ? 2 : 0
      default: {
        const contributed = findPluginCommand(registry, command)
        if (contributed) return await contributed.command.run(rest, pluginCommandContext(contributed.type, registry, io))
        io.err(`switchboard: unknown command "${command}"\n\n${USAGE}`)
        return 2
      }
    }
  } catch (error) {
    return report(error, io)
  }
}

async function configCheck(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const { positionals } = parseFlags(args, {}, USAGE, true)
  const dir = positionals[0] ?? io.env.SWITCHBOARD_CONFIG_DIR ?? 'config'
  const loaded = await loadConfig({ dir, registry, env: io.env })
  if (loaded.problems.length > 0) {
    io.err(`switchboard: ${loaded.dir} has ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}:`)
    for (const problem of loaded.problems) io.err(`  ${formatProblem(problem)}`)
    return 1
  }
  io.out(`${loaded.dir}: ok — ${loaded.tenants.length} tenant${loaded.tenants.length === 1 ? '' : 's'}`)
  for (const tenant of loaded.tenants) {
    const channels = tenant.channels.map((c) => `${c.id} (${c.type}${c.enabled ? '' : ', disabled'})`).join(', ') || 'none'
    const plugins = tenant.plugins.map((p) => `${p.id} (${p.type}${p.enabled ? '' : ', disabled'})`).join(' → ') || 'none'
    io.out(`  ${tenant.id}: channels ${channels}; pipeline ${plugins}`)
  }
  return 0
}

async function start(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string', short: 'c' }, tenant: { type: 'string' }, port: { type: 'string', short: 'p' } }, USAGE)
  const env = { ...io.env }
  if (values.tenant) env.SWITCHBOARD_TENANT = values.tenant
  if (values.port) env.PORT = values.port
  const gateway: RunningGateway = await startGateway({ configDir: values.config ?? env.SWITCHBOARD_CONFIG_DIR ?? 'config', registry, env })
  io.out(`Switchboard is running at ${gateway.url}`)
  for (const tenant of gateway.config.tenants)
    for (const channel of tenant.channels.filter((c) => c.enabled)) {
      const { manifest } = channel.plugin
      if (manifest.reservedPaths?.includes('chat')) io.out(`  web chat for tenant ${tenant.id}: ${gateway.url}/t/${tenant.id}/chat`)
      const endpoint = manifest.endpoint?.(channel.config)
      if (endpoint) io.out(`  ${manifest.id} endpoint of tenant ${tenant.id}: ${gateway.url}/t/${tenant.id}/${channel.id}${endpoint}`)
    }
  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      io.out(`${signal} received: draining and stopping…`)
      gateway.close().then(
        () => resolve(0),
        (error) => resolve(report(error, io)),
      )
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
}

/** User mistakes get their message and paths; only unexpected failures get a stack. */
function report(error: unknown, io: CliIo): number {
  if (error instanceof CliUsageError) {
    io.err(`switchboard: ${error.message}`)
    io.err(error.usage ? `\n${error.usage}` : '\nswitchboard help lists the commands and their flags')
    return 2
  }
  if (isSwitchboardError(error) && error.isUserError) {
    io.err(`switchboard: ${error.message}${error.details.length ? ':' : ''}`)
    for (const detail of error.details) io.err(`  ${detail.path ? `${detail.path}: ` : ''}${detail.message}`)
    return 1
  }
  if (isSwitchboardError(error)) {
    io.err(`switchboard: ${error.code}: ${error.message}`)
    return 1
  }
  io.err(`switchboard: unexpected error\n${(error as Error)?.stack ?? String(error)}`)
  return 70
}
