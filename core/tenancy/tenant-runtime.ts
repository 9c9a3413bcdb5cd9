import { setMaxListeners } from 'node:events'
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import type { DependencyContainer } from 'tsyringe'
import type { ResolvedEntry, ResolvedTenant } from '../config/load.js'
import { Scope } from '../di/scope.js'
import { Tokens } from '../di/tokens.js'
import type { ChannelTarget, TurnTarget } from '../delivery/engine.js'
import { createRateGovernor } from '../delivery/rate-governor.js'
import { clientAddress } from '../gateway/client-address.js'
import type { RouteTable } from '../gateway/route-table.js'
import { Pipeline } from '../pipeline/pipeline.js'
import type { ChannelPlugin } from '../plugin/channel.js'
import { setupPlugins, startStep } from './plugin-setup.js'

export interface ChannelStatus {
  id: string
  type: string
  state: 'running' | 'disabled'
  probe?: { ok: boolean; detail?: string }
}

export interface TenantRuntime extends TurnTarget {
  readonly id: string
  readonly config: ResolvedTenant
  readonly container: DependencyContainer
  readonly scope: Scope
  readonly channels: ReadonlyMap<string, ChannelTarget>
  /**
   * What the current pipeline's plugins provide (the handoff desk, an LLM): resolve per use, since
   * a reload replaces it.
   */
  readonly services: DependencyContainer
  readonly startedAt: Date
  readonly reloadedAt: Date | undefined
  channelStatus(): Promise<ChannelStatus[]>
  /**
   * Swaps in a new configuration without a restart. Plugins are rebuilt; a channel instance whose
   * entry did not change keeps running (its sockets stay open); a changed one is started anew
   * before the old one stops. If anything fails to start, the old runtime keeps serving untouched.
   */
  reload(next: ResolvedTenant): Promise<void>
  stop(): Promise<void>
}

interface Generation {
  scope: Scope
  pipeline: Pipeline
  services: DependencyContainer
}

interface RunningChannel {
  entry: ResolvedEntry<ChannelPlugin>
  scope: Scope
  target: ChannelTarget
}

/**
 * Builds one tenant: a child container, a scope owning everything it starts, its agent plugins in
 * config order (the pipeline) and its channel instances, each in a grandchild container. A
 * failure part-way disposes what was already started.
 */
export async function startTenant(root: DependencyContainer, tenant: ResolvedTenant, routes: RouteTable): Promise<TenantRuntime> {
  const rootScope = root.resolve(Tokens.RootScope)
  const log = root.resolve(Tokens.Logger).child({ tenant: tenant.id })
  const scope = rootScope.child(`tenant:${tenant.id}`)
  const container = root.createChildContainer()
  container.register(Tokens.TenantId, { useValue: tenant.id })
  container.register(Tokens.TenantScope, { useValue: scope })
  container.register(Tokens.TenantLogger, { useValue: log })
  scope.onDispose(() => container.dispose(), 'container')
  try {
    const runtime = new Runtime(root, container, scope, log, routes, tenant)
    await runtime.start()
    return runtime
  } catch (error) {
    await scope.dispose()
    throw error
  }
}

class Runtime implements TenantRuntime {
  readonly id: string
  readonly startedAt = new Date()
  reloadedAt: Date | undefined
  #config: ResolvedTenant
  #generation!: Generation
  #channels = new Map<string, RunningChannel>()
  #targets = new Map<string, ChannelTarget>()
  #generations = 0

  constructor(
    private readonly root: DependencyContainer,
    readonly container: DependencyContainer,
    readonly scope: Scope,
    readonly log: Logger,
    private readonly routes: RouteTable,
    config: ResolvedTenant,
  ) {
    this.id = config.id
    this.#config = config
    // Every running turn listens for the tenant stopping; hundreds at once is normal, not a leak.
    setMaxListeners(0, scope.signal)
  }

  get config(): ResolvedTenant {
    return this.#config
  }
  get pipeline(): Pipeline {
    return this.#generation.pipeline
  }
  get services(): DependencyContainer {
    return this.#generation.services
  }
  get locale(): string {
    return this.#config.locale
  }
  get signal(): AbortSignal {
    return this.scope.signal
  }
  get channels(): ReadonlyMap<string, ChannelTarget> {
    return this.#targets
  }
  channel(instance: string): ChannelTarget | undefined {
    return this.#targets.get(instance)
  }

  async start(): Promise<void> {
    this.container.register(Tokens.TenantConfig, { useValue: this.#config as never })
    this.#limits().configure(this.id, this.#config.limits)
    this.#generation = await this.#buildPipeline(this.#config)
    for (const entry of this.#config.channels.filter((c) => c.enabled)) {
      const running = await this.#startChannel(entry)
      this.#channels.set(entry.id, running)
    }
    this.#publish()
    this.log.info({ channels: [...this.#channels.keys()], plugins: this.#config.plugins.filter((p) => p.enabled).map((p) => p.id) }, 'tenant started')
  }

  async reload(next: ResolvedTenant): Promise<void> {
    if (next.id !== this.id) throw new Error(`cannot reload tenant ${this.id} with the config of ${next.id}`)
    const generation = await this.#buildPipeline(next)
    const started = new Map<string, RunningChannel>()
    const wanted = next.channels.filter((c) => c.enabled)
    try {
      for (const entry of wanted) {
        if (sameEntry(this.#channels.get(entry.id)?.entry, entry)) continue
        started.set(entry.id, await this.#startChannel(entry))
      }
    } catch (error) {
      for (const running of started.values()) await running.scope.dispose()
      await generation.scope.dispose()
      throw error
    }
    // Everything new is up: switch over in one step, then let the replaced parts go.
    const retiredChannels = [...this.#channels.values()].filter((c) => started.has(c.entry.id) || !wanted.some((w) => w.id === c.entry.id))
    const retiredGeneration = this.#generation
    this.#channels = new Map(wanted.map((entry) => [entry.id, started.get(entry.id) ?? this.#channels.get(entry.id)!]))
    this.#generation = generation
    this.#config = next
    this.container.register(Tokens.TenantConfig, { useValue: next as never })
    this.#limits().configure(this.id, next.limits)
    this.#publish()
    this.reloadedAt = new Date()
    for (const channel of retiredChannels) {
      // Clients of a replaced instance are told to reconnect (and resume) rather than cut off.
      await channel.target.connection.drain?.().catch((error) => this.log.warn({ err: error, channel: channel.entry.id }, 'drain failed'))
      await channel.scope.dispose()
    }
    this.#retire(retiredGeneration)
    this.log.info({ channelsRestarted: [...started.keys()], channelsStopped: retiredChannels.filter((c) => !started.has(c.entry.id)).map((c) => c.entry.id) }, 'tenant reloaded')
  }

  async channelStatus(): Promise<ChannelStatus[]> {
    return Promise.all(
      this.#config.channels.map(async (entry): Promise<ChannelStatus> => {
        const running = this.#channels.get(entry.id)
        if (!running) return { id: entry.id, type: entry.type, state: 'disabled' }
        const probe = await running.target.connection.probe?.().catch((error: Error) => ({ ok: false, detail: error.message }))
        return { id: entry.id, type: entry.type, state: 'running', ...(probe ? { probe } : {}) }
      }),
    )
  }

  async stop(): Promise<void> {
    this.#limits().remove(this.id)
    await this.scope.dispose()
  }

  #limits() {
    return this.root.resolve(Tokens.Limits)
  }

  #publish(): void {
    this.#targets = new Map([...this.#channels].map(([id, running]) => [id, running.target]))
  }

  /**
   * A replaced pipeline may still be answering turns that started before the switch; its plugins
   * are disposed once those turns' deadline has passed (or at once when the tenant stops).
   */
  #retire(generation: Generation): void {
    const timer = setTimeout(() => void generation.scope.dispose(), this.root.resolve(Tokens.GatewayConfig).turns.timeoutMs)
    timer.unref()
    generation.scope.onDispose(() => clearTimeout(timer), 'retirement timer')
  }

  async #buildPipeline(config: ResolvedTenant): Promise<Generation> {
    const scope = this.scope.child(`plugins#${++this.#generations}`)
    try {
      const { hooks, container } = await setupPlugins({
        tenant: config.id,
        entries: config.plugins,
        parent: this.container,
        scope,
        log: this.log,
        metrics: this.root.resolve(Tokens.Metrics),
        paths: { config: config.dir, data: resolve(this.root.resolve(Tokens.GatewayConfig).storage.dataDir) },
      })
      return { scope, pipeline: new Pipeline(hooks), services: container }
    } catch (error) {
      await scope.dispose()
      throw error
    }
  }

  async #startChannel(entry: ResolvedEntry<ChannelPlugin>): Promise<RunningChannel> {
    const { root, routes } = this
    const manifest = entry.plugin.manifest
    const channelScope = this.scope.child(`channel:${entry.id}#${++this.#generations}`)
    const channelLog = this.log.child({ channel: manifest.id, instance: entry.id })
    const instance = this.container.createChildContainer()
    instance.register(Tokens.ChannelInstance, { useValue: entry.id })
    instance.register(Tokens.ChannelScope, { useValue: channelScope })
    instance.register(Tokens.ChannelLogger, { useValue: channelLog })
    channelScope.onDispose(() => instance.dispose(), 'container')
    const delivery = root.resolve(Tokens.Delivery)
    const limits = root.resolve(Tokens.Limits)
    const audit = root.resolve(Tokens.Audit)
    const trustProxy = root.resolve(Tokens.GatewayConfig).server.trustProxy
    const metrics = root.resolve(Tokens.Metrics)
    const registrar = routes.registrar({ tenant: this.id, instance: entry.id, reserved: manifest.reservedPaths ?? [], scope: channelScope })
    try {
      const connection = await startStep(manifest.id, entry.id, () =>
        entry.plugin.start({
          tenant: this.id,
          instance: entry.id,
          config: entry.config as never,
          log: channelLog,
          scope: channelScope,
          container: instance,
          metrics,
          http: registrar.http,
          upgrades: registrar.upgrades,
          delivery: { receive: (activity) => delivery.receive(activity), settled: (turnId) => root.resolve(Tokens.DeliveryStore).turnSettled(this.id, turnId) },
          conversations: root.resolve(Tokens.Conversations),
          transcript: root.resolve(Tokens.Transcript),
          closing: () => delivery.closing,
          clientAddress: (request) => clientAddress(request, trustProxy),
          sockets: { acquire: () => limits.acquireSocket(this.id), release: () => limits.releaseSocket(this.id) },
          rateGovernor: (rules) => createRateGovernor({ tenant: this.id, instance: entry.id, redis: root.isRegistered(Tokens.Redis, true) ? root.resolve(Tokens.Redis) : undefined }, rules),
          securityEvent: ({ action, source, reason, requestId }) => {
            metrics.channelRejections.inc({ tenant: this.id, channel: manifest.id, action })
            audit.recordThrottled(`${this.id}:${entry.id}:${action}:${source}`, {
              tenant: this.id,
              actor: { type: 'channel', id: entry.id },
              action,
              target: `channel:${entry.id}`,
              outcome: 'denied',
              source,
              requestId,
              details: { reason },
            })
          },
        }),
      )
      return { entry, scope: channelScope, target: { type: manifest.id, capabilities: manifest.capabilities, connection } }
    } catch (error) {
      await channelScope.dispose()
      throw error
    }
  }
}

/** Entry configs are validated, frozen plain data: equal JSON means nothing to restart. */
function sameEntry(a: ResolvedEntry<ChannelPlugin> | undefined, b: ResolvedEntry<ChannelPlugin>): boolean {
  return a !== undefined && a.type === b.type && a.enabled === b.enabled && JSON.stringify(a.config) === JSON.stringify(b.config)
}

export type { Logger }
