import 'reflect-metadata'
import { container } from 'tsyringe'
import type { z } from 'zod'
import { AuditLog } from '../../core/audit/audit-log.js'
import { Tokens } from '../../core/di/tokens.js'
import type { DeskDelivery } from '../../core/delivery/engine.js'
import { Metrics } from '../../core/observability/metrics.js'
import { Pipeline, type NamedHooks } from '../../core/pipeline/pipeline.js'
import { createTurn, type ConversationMemory } from '../../core/pipeline/turn.js'
import type { AgentPlugin } from '../../core/plugin/agent.js'
import { textMessage, type Reply } from '../../core/message/index.js'
import { ConversationRepository } from '../../core/store/conversations.js'
import { CustomerRepository } from '../../core/support/customers.js'
import { createSupportEvents } from '../../core/support/events.js'
import { HandoffRepository } from '../../core/support/handoffs.js'
import { NoteRepository } from '../../core/support/notes.js'
import { TicketRepository } from '../../core/support/tickets.js'
import type { SupportEvent } from '../../core/support/types.js'
import { agentContext, silentLog } from './activities.js'
import type { TestDatabase } from '../databases.js'

/** What the desk told customers outside their turns, as the delivery engine was asked. */
export interface DeskDelivered extends DeskDelivery {
  messageId: string
}

export interface DeskPlugin {
  plugin: AgentPlugin
  id?: string
  config?: unknown
}

/**
 * The support desk's plugins on a real database (the repositories, the audit log and events as the
 * gateway wires them) with a clock the test moves and a delivery engine that records what the desk
 * sends. `say` runs one customer turn through the tenant's pipeline and returns what the bot said.
 */
export async function deskWorld(t: TestDatabase, plugins: DeskPlugin[], bot: NamedHooks, options: { tenant?: string; locale?: string } = {}) {
  const tenant = options.tenant ?? 'acme'
  let now = Date.parse('2026-03-02T10:00:00Z')
  const clock = { now: () => now }
  const root = container.createChildContainer()
  const delivered: DeskDelivered[] = []
  const events: SupportEvent[] = []
  const supportEvents = createSupportEvents({ log: silentLog })
  supportEvents.subscribe(tenant, (event) => events.push(event))
  root.register(Tokens.Database, { useValue: t.db })
  root.register(Tokens.Clock, { useValue: clock })
  root.register(Tokens.TenantConfig, { useValue: { locale: options.locale ?? 'en' } as never })
  root.register(Tokens.SupportEvents, { useValue: supportEvents })
  root.register(Tokens.Delivery, {
    useValue: {
      async deliver(input: DeskDelivery) {
        const messageId = `m_desk_${delivered.length + 1}`
        delivered.push({ ...input, messageId })
        return [{ messageId, seq: delivered.length }]
      },
    } as never,
  })
  const audit = new AuditLog(t.db, clock)
  root.register(Tokens.Audit, { useValue: audit })
  const conversations = new ConversationRepository(t.db)
  root.register(Tokens.Conversations, { useValue: conversations })
  root.register(Tokens.Customers, { useValue: new CustomerRepository(t.db, clock) })
  root.register(Tokens.Tickets, { useValue: new TicketRepository(t.db, clock) })
  root.register(Tokens.Handoffs, { useValue: new HandoffRepository(t.db, clock) })
  root.register(Tokens.Notes, { useValue: new NoteRepository(t.db, clock) })
  const metrics = new Metrics({ defaultMetrics: false })
  const contexts = plugins.map(({ plugin, id, config }) => agentContext((plugin.manifest.config as z.ZodType).parse(config ?? {}), { tenant, id: id ?? plugin.manifest.id, container: root, metrics }))
  const hooks: NamedHooks[] = []
  for (const [i, { plugin }] of plugins.entries()) hooks.push({ id: contexts[i]!.id, ...(await plugin.setup(contexts[i]! as never)) })
  const pipeline = new Pipeline([...hooks, bot])
  const memories = new Map<string, ConversationMemory>()
  const users = new Map<string, string>()
  let turns = 0

  /** A conversation of one customer on one channel, created as the channel would. */
  const conversation = async (user: string, channel = 'telegram', instance = 'tg') => {
    const { id } = await conversations.ensure({ tenant, channel, instance, externalId: user, userId: user, userName: user })
    users.set(id, user)
    return id
  }

  return {
    tenant,
    root,
    metrics,
    audit,
    delivered,
    events,
    conversation,
    advance: (ms: number) => (now += ms),
    now: () => now,
    desk: () => root.resolve(Tokens.HandoffDesk),
    /** One customer message through the pipeline; what the customer hears back, and the turn. */
    async say(conversationId: string, text: string, options: { channel?: string; instance?: string; locale?: string } = {}) {
      const user = users.get(conversationId) ?? conversationId
      const { channel = 'telegram', instance = 'tg', locale } = options
      const memory = memories.get(conversationId) ?? {}
      const activity = textMessage(text, { tenant, conversationId, id: `p${++turns}`, channel, instance, user, ...(locale ? { locale } : {}) })
      const turn = createTurn({ id: `t${turns}`, activity, log: silentLog, signal: new AbortController().signal, memory: structuredClone(memory) })
      const replies: Reply[] = await pipeline.run(turn)
      memories.set(conversationId, turn.memory)
      return { texts: replies.map((r) => r.parts.map((p) => ('text' in p ? p.text : '')).join(' ')), replies, turn }
    },
    async close() {
      for (const context of contexts) await context.scope.dispose()
      await audit.flush()
      await supportEvents.close()
    },
  }
}

export type DeskWorld = Awaited<ReturnType<typeof deskWorld>>
