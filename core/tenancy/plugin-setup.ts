import type { Logger } from 'pino'
import type { DependencyContainer } from 'tsyringe'
import type { ResolvedEntry } from '../config/load.js'
import type { Scope } from '../di/scope.js'
import { sbError } from '../errors.js'
import type { Metrics } from '../observability/metrics.js'
import type { NamedHooks } from '../pipeline/pipeline.js'
import type { AgentPlugin } from '../plugin/agent.js'

export interface PluginSetupOptions {
  tenant: string
  entries: readonly ResolvedEntry<AgentPlugin>[]
  /** The tenant's container; the plugins get a child of it, so what they provide dies with them. */
  parent: DependencyContainer
  scope: Scope
  log: Logger
  metrics: Metrics
  paths: { config: string; data: string }
}

/**
 * Sets up agent plugins in list order, each in a scope of its own under `scope`; a service one
 * provides is visible to those after it. The caller disposes `scope` on failure or when done.
 */
export async function setupPlugins(options: PluginSetupOptions): Promise<{ hooks: NamedHooks[]; container: DependencyContainer }> {
  const container = options.parent.createChildContainer()
  options.scope.onDispose(() => container.dispose(), 'container')
  const hooks: NamedHooks[] = []
  for (const entry of options.entries.filter((p) => p.enabled)) {
    const setup = await startStep(entry.type, entry.id, () =>
      entry.plugin.setup({
        tenant: options.tenant,
        id: entry.id,
        config: entry.config as never,
        log: options.log.child({ plugin: entry.id }),
        scope: options.scope.child(`plugin:${entry.id}`),
        container,
        metrics: options.metrics,
        paths: options.paths,
      }),
    )
    hooks.push({ id: entry.id, ...setup })
  }
  return { hooks, container }
}

export async function startStep<T>(type: string, id: string, start: () => Promise<T> | T): Promise<T> {
  try {
    return await start()
  } catch (error) {
    throw sbError('SB_ERR_PLUGIN_START_FAILED', `${type} "${id}" failed to start: ${(error as Error).message}`, [], error)
  }
}
