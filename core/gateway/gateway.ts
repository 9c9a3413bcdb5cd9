import 'reflect-metadata'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import { container as globalContainer, type DependencyContainer } from 'tsyringe'
import { systemClock, type Clock } from '../clock.js'
import { loadConfig, type LoadedConfig } from '../config/load.js'
import { formatProblem } from '../config/problems.js'
import { DeliveryEngine } from '../delivery/engine.js'
import { KeyedSerialQueue } from '../delivery/keyed-serial-queue.js'
import { Scope } from '../di/scope.js'
import { Tokens } from '../di/tokens.js'
import { sbError } from '../errors.js'
import { createLogger } from '../observability/logger.js'
import { Metrics } from '../observability/metrics.js'
import type { PluginRegistry } from '../plugin/registry.js'
import { ConversationRepository } from '../store/conversations.js'
import type { Database } from '../store/database.js'
import { DeliveryStore } from '../store/delivery-store.js'
import { openDatabase, redactUrl } from '../store/open.js'
import { acquirePgliteLock } from '../store/pglite-lock.js'
import { TranscriptRepository } from '../store/transcript.js'
import type { TenantRuntime } from '../tenancy/tenant-runtime.js'
import { TenantManager } from '../tenancy/tenant-manager.js'
import { AuditLog } from '../audit/audit-log.js'
import { TenantLimits } from '../limits/tenant-limits.js'
import { closeRedis, openRedis } from '../redis/client.js'
import { createAdminApi } from '../admin/index.js'
import { ApiKeyStore } from '../admin/auth/api-keys.js'
import { createHealthProbe } from './health.js'
import { recordSupportGauges } from '../support/gauges.js'
import { createHttpApp } from './http-app.js'
import { RouteTable } from './route-table.js'
import { loadSessionSecret } from './session-secret.js'
import { clientAddress } from './client-address.js'
import { CustomerRepository } from '../support/customers.js'
import { TicketRepository } from '../support/tickets.js'
import { HandoffRepository } from '../support/handoffs.js'
import { NoteRepository } from '../support/notes.js'
import { createSupportEvents } from '../support/events.js'
import { createConsole } from '../console/index.js'
import { OidcVerifier } from '../admin/auth/oidc.js'

export interface GatewayOptions {
  configDir: string
  registry: PluginRegistry
  env?: NodeJS.ProcessEnv
  logger?: Logger
  clock?: Clock
}

export interface RunningGateway {
  readonly url: string
  readonly port: number
  readonly config: LoadedConfig
  readonly container: DependencyContainer
  readonly server: Server
  readonly tenants: TenantManager
  tenant(id: string): TenantRuntime | undefined
  /** Graceful stop: refuse new work, drain turns (bounded), close sockets with a resume hint, flush. */
  close(): Promise<void>
}

const HOUR = 3_600_000

/** Composition root: loads config, opens stores, starts tenants, then listens. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const config = await loadConfig({ dir: options.configDir, registry: options.registry, env: options.env })
  if (config.problems.length > 0) {
    throw sbError(
      'SB_ERR_CONFIG_INVALID',
      `configuration in ${config.dir} has ${config.problems.length} problem${config.problems.length === 1 ? '' : 's'}`,
      config.problems.map((p) => ({ path: `${p.file}${p.path ? `: ${p.path}` : ''}`, message: p.message })),
    )
  }
  const { gateway } = config
  const log = options.logger ?? createLogger({ level: gateway.log.level })
  const root = globalContainer.createChildContainer()
  const rootScope = new Scope('gateway', (error, label) => log.error({ err: error, effect: label }, 'undo failed'))
  const metrics = new Metrics()
  const dataDir = resolve(gateway.storage.dataDir)
  try {
    // Two processes on one PGlite folder would corrupt it: the CLI and a second gateway are refused.
    if (!gateway.storage.databaseUrl) {
      const release = await acquirePgliteLock(dataDir)
      rootScope.onDispose(release, 'pglite lock')
    }
    const db: Database = await openDatabase(
      gateway.storage.databaseUrl ? { kind: 'postgres', url: gateway.storage.databaseUrl } : { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') },
    )
    rootScope.onDispose(() => db.close(), 'database')
    log.info({ database: db.kind === 'postgres' ? redactUrl(gateway.storage.databaseUrl!) : resolve(dataDir, 'pglite') }, `database ready (${db.kind})`)
    const secret = await loadSessionSecret(gateway.sessionSecret, dataDir)
    if (secret.source !== 'config' && db.kind === 'postgres') {
      log.warn('sessionSecret is not configured: web-chat sessions only work on this replica; set SWITCHBOARD_SESSION_SECRET')
    }

    root.register(Tokens.GatewayConfig, { useValue: gateway })
    root.register(Tokens.Logger, { useValue: log })
    root.register(Tokens.Metrics, { useValue: metrics })
    root.register(Tokens.Clock, { useValue: options.clock ?? systemClock })
    root.register(Tokens.Database, { useValue: db })
    root.register(Tokens.RootScope, { useValue: rootScope })
    root.register(Tokens.SessionSecret, { useValue: secret.key })
    root.register(Tokens.Plugins, { useValue: options.registry })
    root.register(Tokens.ConversationQueue, { useValue: new KeyedSerialQueue() })
    const redis = gateway.storage.redisUrl ? openRedis(gateway.storage.redisUrl, { log }) : undefined
    if (redis) {
      rootScope.onDispose(() => closeRedis(redis), 'redis')
      root.register(Tokens.Redis, { useValue: redis })
    }
    root.register(Tokens.Limits, { useValue: new TenantLimits({ redis, onReject: (tenant, limit) => metrics.limitRejections.inc({ tenant, limit }) }) })
    const audit = new AuditLog(db, options.clock ?? systemClock)
    audit.onError = (error, input) => log.error({ err: error, action: input.action, tenant: input.tenant }, 'could not write an audit entry')
    root.register(Tokens.Audit, { useValue: audit })
    root.registerSingleton(ApiKeyStore)
    root.registerSingleton(Tokens.Conversations, ConversationRepository)
    root.registerSingleton(Tokens.Transcript, TranscriptRepository)
    root.registerSingleton(Tokens.DeliveryStore, DeliveryStore)
    root.registerSingleton(Tokens.Delivery, DeliveryEngine)
    // support: customers, tickets, handoffs and notes, with live events for consoles on every replica
    root.registerSingleton(Tokens.Customers, CustomerRepository)
    root.registerSingleton(Tokens.Tickets, TicketRepository)
    root.registerSingleton(Tokens.Handoffs, HandoffRepository)
    root.registerSingleton(Tokens.Notes, NoteRepository)
    const supportEvents = createSupportEvents({ redis, log })
    rootScope.onDispose(() => supportEvents.close(), 'support events')
    root.register(Tokens.SupportEvents, { useValue: supportEvents })

    const store = root.resolve(Tokens.DeliveryStore)
    const delivery = root.resolve(Tokens.Delivery)
    metrics.beforeScrape = async () => {
      metrics.outboxPending.reset()
      metrics.outboxOldest.reset()
      for (const tenant of tenants.ids) {
        const stats = await store.outboxStats(tenant)
        metrics.outboxPending.set({ tenant }, stats.pending)
        metrics.outboxOldest.set({ tenant }, stats.oldestSeconds)
      }
      // support: queue lengths and SLA breaches, read at scrape time like the outbox
      await recordSupportGauges(root, metrics, tenants.ids)
    }

    const routes = new RouteTable()
    const tenants = new TenantManager(root, routes, { configDir: config.dir, env: options.env, log, only: gateway.tenant })
    await tenants.startAll(config.tenants)
    rootScope.onDispose(() => tenants.stopAll(), 'tenants')
    delivery.attach((id) => tenants.get(id))

    const health = createHealthProbe({ db, metrics, closing: () => delivery.closing, tenantCount: () => tenants.ids.length })
    const admin = gateway.admin.enabled ? createAdminApi(root, tenants, (ctx) => clientAddress(ctx.req, gateway.server.trustProxy)) : undefined
    // console: the agents' web console rides on the admin API, so it exists only where that does
    const agentConsole = gateway.admin.enabled
      ? createConsole({
          root,
          tenants,
          keys: root.resolve(ApiKeyStore),
          oidc: gateway.admin.oidc ? new OidcVerifier(gateway.admin.oidc) : undefined,
          secret: secret.key,
          log: log.child({ component: 'console' }),
          clientAddress: (request) => clientAddress(request, gateway.server.trustProxy),
        })
      : undefined
    if (agentConsole) rootScope.onDispose(() => agentConsole.close(), 'agent console')
    const app = createHttpApp({ routes, metrics, log, health, trustProxy: gateway.server.trustProxy, admin, console: agentConsole?.http })
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 60_000 }, app.callback())
    server.on('upgrade', (request, socket, head) => {
      if (agentConsole?.handlesUpgrade(request)) return agentConsole.upgrade(request, socket, head, delivery.closing)
      routes.handleUpgrade(request, socket, head, delivery.closing)
    })
    server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    })

    for (const tenant of tenants.ids) await tenants.recover(tenant)
    tenants.watch()

    const prune = setInterval(() => {
      for (const tenant of tenants.ids) {
        store.pruneInbox(tenant, new Date(Date.now() - gateway.inbox.retentionHours * HOUR)).catch((error) => log.warn({ err: error, tenant }, 'inbox prune failed'))
      }
    }, HOUR)
    prune.unref()
    rootScope.onDispose(() => clearInterval(prune), 'inbox prune')

    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject)
      server.listen(gateway.server.port, gateway.server.host, () => resolveListen())
    })
    const port = (server.address() as AddressInfo).port
    const host = gateway.server.host === '0.0.0.0' || gateway.server.host === '::' ? 'localhost' : gateway.server.host
    const url = `http://${host}:${port}`
    log.info({ url, tenants: tenants.ids }, 'switchboard listening')

    let closing: Promise<void> | undefined
    const close = async () => {
      const graceMs = gateway.server.shutdownGraceMs
      log.info({ graceMs }, 'shutting down')
      const stopListening = new Promise<void>((r) => server.close(() => r()))
      const drained = await delivery.close(graceMs)
      if (!drained) log.warn('grace period over with turns still running; they resume after restart')
      await tenants.stopAll()
      // Upgraded sockets keep the server open: consoles are told to go before it waits for them.
      await agentConsole?.close()
      await audit.flush()
      server.closeAllConnections()
      await stopListening
      await rootScope.dispose()
      await root.dispose()
      log.info('stopped')
      log.flush?.()
    }
    return {
      url,
      port,
      config,
      container: root,
      server,
      tenants,
      tenant: (id) => tenants.get(id),
      close: () => (closing ??= close()),
    }
  } catch (error) {
    await rootScope.dispose()
    throw error
  }
}

export { formatProblem }
