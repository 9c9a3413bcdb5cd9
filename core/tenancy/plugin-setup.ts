import { resolve } from 'node:path'
import type { Logger } from 'pino'
import { container as rootContainer, type DependencyContainer } from 'tsyringe'
import type { GatewayConfig } from '../config/gateway-schema.js'
import type { ResolvedEntry, ResolvedTenant } from '../config/load.js'
import { Scope } from '../di/scope.js'
import { Tokens } from '../di/tokens.js'
import { sbError } from '../errors.js'
import { Metrics } from '../observability/metrics.js'
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

export interface DetachedPlugins {
  hooks: NamedHooks[]
  /** Holds what the plugins provided (an LLM, a knowledge base). */
  container: DependencyContainer
  paths: { config: string; data: string }
  metrics: Metrics
  /** Undoes every set-up; call it when done. */
  close(): Promise<void>
}

/**
 * Sets up some of a tenant's plugins outside a running gateway (a CLI command, an evaluation, a
 * benchmark), with what the tenant runtime would give them: the gateway config, the tenant id, the
 * config and data folders.
 */
export async function setupDetached(tenant: ResolvedTenant, gateway: GatewayConfig, entries: readonly ResolvedEntry<AgentPlugin>[], log: Logger): Promise<DetachedPlugins> {
  const scope = new Scope(`detached:${tenant.id}`)
  const parent = rootContainer.createChildContainer()
  parent.register(Tokens.GatewayConfig, { useValue: gateway })
  parent.register(Tokens.TenantId, { useValue: tenant.id })
  const metrics = new Metrics({ defaultMetrics: false })
  const paths = { config: tenant.dir, data: resolve(gateway.storage.dataDir) }
  try {
    const detachable = entries.filter((entry) => !entry.plugin.manifest.gatewayOnly)
    const { hooks, container } = await setupPlugins({ tenant: tenant.id, entries: detachable, parent, scope, log, metrics, paths })
    return { hooks, container, paths, metrics, close: () => scope.dispose() }
  } catch (error) {
    await scope.dispose()
    throw error
  }
}
