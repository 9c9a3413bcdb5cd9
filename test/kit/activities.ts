import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { container, type DependencyContainer } from 'tsyringe'
import { Scope } from '../../core/di/scope.js'
import { Metrics } from '../../core/observability/metrics.js'
import type { AgentContext } from '../../core/plugin/agent.js'
import { textMessage, type InboundActivity } from '../../core/message/index.js'
import { createTurn, type ConversationMemory, type Turn } from '../../core/pipeline/turn.js'

export const silentLog = pino({ level: 'silent' })

export interface ActivityOptions {
  id?: string
  tenant?: string
  instance?: string
  conversationId?: string
  user?: string
  locale?: string
}

/** A user's text message as a channel would normalise it. */
export function textActivity(text: string, options: ActivityOptions = {}): InboundActivity {
  const { id = 'm1', tenant = 'acme', instance = 'web', conversationId = 'c1', user = 'u1', locale } = options
  return textMessage(text, { tenant, conversationId, id, channel: 'test', instance, user, ...(locale ? { locale } : {}) })
}

/** A turn for that message, ready to hand to plugins; pass `memory` to continue a conversation. */
export const turnFor = (text: string, options: ActivityOptions & { memory?: ConversationMemory; stream?: (delta: string) => void } = {}): Turn =>
  createTurn({ id: 't1', activity: textActivity(text, options), log: silentLog, signal: new AbortController().signal, memory: options.memory, stream: options.stream })

/** What the tenant runtime hands an agent plugin's setup, for calling plugins directly in tests. */
export function agentContext<C>(config: C, options: { tenant?: string; id?: string; container?: DependencyContainer; metrics?: Metrics; paths?: { config: string; data: string } } = {}): AgentContext<C> {
  return {
    tenant: options.tenant ?? 'acme',
    id: options.id ?? 'plugin',
    config,
    log: silentLog,
    scope: new Scope('test plugin'),
    container: options.container ?? container.createChildContainer(),
    metrics: options.metrics ?? new Metrics({ defaultMetrics: false }),
    paths: options.paths ?? { config: process.cwd(), data: join(tmpdir(), 'switchboard-test-data') },
  }
}
