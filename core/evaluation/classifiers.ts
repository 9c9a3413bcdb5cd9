import { container as rootContainer } from 'tsyringe'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/gateway-schema.js'
import type { ResolvedTenant } from '../config/load.js'
import { Scope } from '../di/scope.js'
import { Tokens } from '../di/tokens.js'
import { sbError } from '../errors.js'
import { Metrics } from '../observability/metrics.js'
import { compose } from '../pipeline/compose.js'
import { createTurn } from '../pipeline/turn.js'
import { setupPlugins } from '../tenancy/plugin-setup.js'

export interface Classification {
  intent?: string
  sentiment?: string
}

export interface TenantClassifiers {
  /** The plugin entries that classify (those with an inbound stage), in pipeline order. */
  readonly plugins: readonly string[]
  classify(text: string): Promise<Classification>
  close(): Promise<void>
}

/**
 * A tenant's classifiers exactly as its pipeline runs them: the inbound stage of its configured
 * plugins (intent, sentiment, its own) with the services listed above them (its LLM), each message
 * a fresh conversation so no memory carries over. Responders are not set up: evaluation must not
 * answer anyone.
 */
export async function openTenantClassifiers(tenant: ResolvedTenant, gateway: GatewayConfig, dataDir: string, log: Logger): Promise<TenantClassifiers> {
  const enabled = tenant.plugins.filter((p) => p.enabled)
  const classifies = (p: (typeof enabled)[number]) => p.plugin.manifest.stages.includes('inbound')
  const lastClassifier = enabled.findLastIndex(classifies)
  // Services listed above a classifier are part of it as production runs it (an LLM asked when unsure).
  const entries = enabled.filter((p, i) => classifies(p) || (i < lastClassifier && (p.plugin.manifest.provides ?? []).length > 0))
  if (lastClassifier < 0) {
    throw sbError('SB_ERR_CONFIG_INVALID', `tenant ${tenant.id} has no classifying plugins: add "intent" and/or "sentiment" to its plugins`)
  }
  const scope = new Scope(`eval:${tenant.id}`)
  const parent = rootContainer.createChildContainer()
  parent.register(Tokens.GatewayConfig, { useValue: gateway })
  parent.register(Tokens.TenantId, { useValue: tenant.id })
  try {
    const { hooks } = await setupPlugins({ tenant: tenant.id, entries, parent, scope, log, metrics: new Metrics({ defaultMetrics: false }), paths: { config: tenant.dir, data: dataDir } })
    const inbound = compose(hooks.flatMap((h) => (h.inbound ? [h.inbound] : [])))
    let n = 0
    return {
      plugins: entries.map((e) => e.id),
      async classify(text) {
        const id = `eval-${++n}`
        const activity = {
          id,
          tenant: tenant.id,
          channel: 'eval',
          instance: 'eval',
          conversation: { id, tenant: tenant.id, channel: 'eval', instance: 'eval', externalId: id },
          from: { id: 'eval', role: 'user' as const },
          at: new Date(),
          kind: 'message' as const,
          text,
          parts: [{ type: 'text' as const, text }],
          raw: null,
        }
        const turn = createTurn({ id, activity, log, signal: new AbortController().signal })
        await inbound(turn, async () => {})
        const label = (key: string) => (typeof turn.annotations[key] === 'string' ? (turn.annotations[key] as string) : undefined)
        return { intent: label('intent'), sentiment: label('sentiment') }
      },
      close: () => scope.dispose(),
    }
  } catch (error) {
    await scope.dispose()
    throw error
  }
}
