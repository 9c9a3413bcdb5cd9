import pino from 'pino'
import { sbError } from '../errors.js'
import type { PluginCommand, PluginCommandContext } from '../plugin/agent.js'
import type { PluginRegistry } from '../plugin/registry.js'
import { setupDetached } from '../tenancy/plugin-setup.js'
import type { CliIo } from './cli-args.js'
import { configDirOf, loadCliTenant } from './cli-database.js'

/** The plugin type that adds `name` as a command, and the command. */
export function findPluginCommand(registry: PluginRegistry, name: string): { type: string; command: PluginCommand } | undefined {
  for (const type of registry.types('plugins')) {
    const command = registry.agent(type)?.commands?.[name]
    if (command) return { type, command }
  }
  return undefined
}

export function pluginCommandContext(type: string, registry: PluginRegistry, io: CliIo): PluginCommandContext {
  const log = pino({ level: io.env.LOG_LEVEL ?? 'warn' }, pino.destination(2))
  return {
    io,
    log,
    async openEntry(tenantId, options = {}) {
      const { tenant, gateway } = await loadCliTenant(configDirOf(options.configDir, io.env), tenantId, registry, io)
      const index = tenant.plugins.findIndex((p) => p.type === type && (options.entryId === undefined || p.id === options.entryId))
      if (index < 0) {
        throw sbError('SB_ERR_CONFIG_INVALID', `tenant ${tenant.id} has no ${options.entryId ? `"${options.entryId}" ` : ''}${type} plugin in ${tenant.file}`)
      }
      const entry = tenant.plugins[index]!
      // Only the providers above it: the entry itself is the command's to drive.
      const providers = tenant.plugins.slice(0, index).filter((p) => (p.plugin.manifest.provides ?? []).length > 0)
      const { container, paths, metrics, close } = await setupDetached(tenant, gateway, providers, log)
      return { tenant: tenant.id, id: entry.id, config: entry.config, container, paths, metrics, close }
    },
  }
}
