import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/gateway-schema.js'
import type { ResolvedTenant } from '../config/load.js'
import { sbError } from '../errors.js'
import { textMessage } from '../message/index.js'
import { compose } from '../pipeline/compose.js'
import { createTurn } from '../pipeline/turn.js'
import { setupDetached } from '../tenancy/plugin-setup.js'

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
export async function openTenantClassifiers(tenant: ResolvedTenant, gateway: GatewayConfig, log: Logger): Promise<TenantClassifiers> {
  const enabled = tenant.plugins.filter((p) => p.enabled && !p.plugin.manifest.gatewayOnly)
  const classifies = (p: (typeof enabled)[number]) => p.plugin.manifest.stages.includes('inbound')
  const lastClassifier = enabled.findLastIndex(classifies)
  // Services listed above a classifier are part of it as production runs it (an LLM asked when unsure).
  const entries = enabled.filter((p, i) => classifies(p) || (i < lastClassifier && (p.plugin.manifest.provides ?? []).length > 0))
  if (lastClassifier < 0) {
    throw sbError('SB_ERR_CONFIG_INVALID', `tenant ${tenant.id} has no classifying plugins: add "intent" and/or "sentiment" to its plugins`)
  }
  const detached = await setupDetached(tenant, gateway, entries, log)
  const inbound = compose(detached.hooks.flatMap((h) => (h.inbound ? [h.inbound] : [])))
  let n = 0
  return {
    plugins: entries.map((e) => e.id),
    async classify(text) {
      const id = `eval-${++n}`
      const turn = createTurn({ id, activity: textMessage(text, { tenant: tenant.id, conversationId: id, channel: 'eval' }), log, signal: new AbortController().signal })
      await inbound(turn, async () => {})
      const label = (key: string) => (typeof turn.annotations[key] === 'string' ? (turn.annotations[key] as string) : undefined)
      return { intent: label('intent'), sentiment: label('sentiment') }
    },
    close: detached.close,
  }
}
