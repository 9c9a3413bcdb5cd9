import type { Logger } from 'pino'
import type { DependencyContainer } from 'tsyringe'
import type { ResolvedTenant } from '../config/load.js'
import { Scope } from '../di/scope.js'
import { Tokens } from '../di/tokens.js'
import type { ChannelTarget, TurnTarget } from '../delivery/engine.js'
import { sbError } from '../errors.js'
import { clientAddress } from '../gateway/client-address.js'
import type { RouteTable } from '../gateway/route-table.js'
import { Pipeline, type NamedHooks } from '../pipeline/pipeline.js'

export interface TenantRuntime extends TurnTarget {
  id: string
  config: ResolvedTenant
  container: DependencyContainer
  scope: Scope
  channels: Map<string, ChannelTarget>
  stop(): Promise<void>
}

/**
 * Builds one tenant: a child container, a scope owning everything it starts, its agent plugins in
 * config order (the pipeline) and its channel instances, each in a grandchild container. A
 * failure part-way disposes what was already started.
 */
export async function startTenant(root: DependencyContainer, tenant: ResolvedTenant, routes: RouteTable): Promise<TenantRuntime> {
  const rootScope = root.resolve(Tokens.RootScope)
  const baseLog = root.resolve(Tokens.Logger)
  const metrics = root.resolve(Tokens.Metrics)
  const log = baseLog.child({ tenant: tenant.id })
  const scope = rootScope.child(`tenant:${tenant.id}`)
  const container = root.createChildContainer()
  container.register(Tokens.TenantId, { useValue: tenant.id })
  container.register(Tokens.TenantConfig, { useValue: tenant as never })
  container.register(Tokens.TenantScope, { useValue: scope })
  container.register(Tokens.TenantLogger, { useValue: log })
  scope.onDispose(() => container.dispose(), 'container')
  const channels = new Map<string, ChannelTarget>()
  try {
    const hooks: NamedHooks[] = []
    for (const entry of tenant.plugins.filter((p) => p.enabled)) {
      const pluginScope = scope.child(`plugin:${entry.id}`)
      const pluginLog = log.child({ plugin: entry.id })
      const setup = await startStep(entry.type, entry.id, () =>
        entry.plugin.setup({ tenant: tenant.id, id: entry.id, config: entry.config as never, log: pluginLog, scope: pluginScope, container, metrics }),
      )
      hooks.push({ id: entry.id, ...setup })
    }
    const pipeline = new Pipeline(hooks)
    const delivery = root.resolve(Tokens.Delivery)
    const trustProxy = root.resolve(Tokens.GatewayConfig).server.trustProxy
    for (const entry of tenant.channels.filter((c) => c.enabled)) {
      const manifest = entry.plugin.manifest
      const channelScope = scope.child(`channel:${entry.id}`)
      const channelLog = log.child({ channel: manifest.id, instance: entry.id })
      const instance = container.createChildContainer()
      instance.register(Tokens.ChannelInstance, { useValue: entry.id })
      instance.register(Tokens.ChannelScope, { useValue: channelScope })
      instance.register(Tokens.ChannelLogger, { useValue: channelLog })
      channelScope.onDispose(() => instance.dispose(), 'container')
      const registrar = routes.registrar({ tenant: tenant.id, instance: entry.id, reserved: manifest.reservedPaths ?? [], scope: channelScope })
      const connection = await startStep(manifest.id, entry.id, () =>
        entry.plugin.start({
          tenant: tenant.id,
          instance: entry.id,
          config: entry.config as never,
          log: channelLog,
          scope: channelScope,
          container: instance,
          metrics,
          http: registrar.http,
          upgrades: registrar.upgrades,
          delivery: { receive: (activity) => delivery.receive(activity) },
          conversations: root.resolve(Tokens.Conversations),
          transcript: root.resolve(Tokens.Transcript),
          closing: () => delivery.closing,
          clientAddress: (request) => clientAddress(request, trustProxy),
        }),
      )
      channels.set(entry.id, { type: manifest.id, capabilities: manifest.capabilities, connection })
    }
    log.info({ channels: [...channels.keys()], plugins: hooks.map((h) => h.id) }, 'tenant started')
    return {
      id: tenant.id,
      config: tenant,
      container,
      scope,
      channels,
      pipeline,
      log,
      locale: tenant.locale,
      signal: scope.signal,
      channel: (instance) => channels.get(instance),
      stop: () => scope.dispose(),
    }
  } catch (error) {
    await scope.dispose()
    throw error
  }
}

async function startStep<T>(type: string, id: string, start: () => Promise<T> | T): Promise<T> {
  try {
    return await start()
  } catch (error) {
    throw sbError('SB_ERR_PLUGIN_START_FAILED', `${type} "${id}" failed to start: ${(error as Error).message}`, [], error)
  }
}

export type { Logger }
