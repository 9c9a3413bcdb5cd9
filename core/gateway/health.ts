import type { Metrics } from '../observability/metrics.js'
import type { Database } from '../store/database.js'

export interface HealthProbe {
  /** Liveness: the process serves requests. */
  alive(): boolean
  /** Readiness: config loaded, stores reachable, not shutting down. */
  ready(): Promise<{ ready: boolean; checks: Record<string, string> }>
}

export function createHealthProbe(options: { db: Database; metrics: Metrics; closing: () => boolean; tenantCount: () => number }): HealthProbe {
  return {
    alive: () => true,
    async ready() {
      const checks: Record<string, string> = { config: 'ok', tenants: `${options.tenantCount()} running` }
      const storeUp = await options.db.ping().then(
        () => true,
        (error: Error) => ((checks.database = `unreachable: ${error.message}`), false),
      )
      if (storeUp) checks.database = 'ok'
      options.metrics.storeUp.set(storeUp ? 1 : 0)
      if (options.closing()) checks.gateway = 'shutting down'
      return { ready: storeUp && !options.closing() && options.tenantCount() > 0, checks }
    },
  }
}
