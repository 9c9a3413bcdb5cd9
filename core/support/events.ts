import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { closeRedis } from '../redis/client.js'
import { tenantKey } from '../redis/keyspace.js'
import type { SupportEvents } from './ports.js'
import type { SupportEvent } from './types.js'

type Listener = (event: SupportEvent) => void

/** What travels between replicas: the event and the replica it came from. */
interface Envelope {
  origin: string
  tenant: string
  event: SupportEvent
}

/**
 * The console's live feed. Listeners of this process hear every event at once; with Redis, each
 * event is also published on the tenant's channel and heard by the other replicas' listeners. A
 * replica subscribes to a tenant's channel only while it has a listener for that tenant.
 */
export function createSupportEvents(options: { redis?: Redis; log: Pick<Logger, 'warn'> }): SupportEvents & { close(): Promise<void> } {
  const { redis, log } = options
  const origin = randomUUID()
  const listeners = new Map<string, Set<Listener>>()
  let subscriber: Redis | undefined

  const deliver = (tenant: string, event: SupportEvent): void => {
    for (const listener of listeners.get(tenant) ?? []) {
      try {
        listener(event)
      } catch (error) {
        log.warn({ err: error, tenant, type: event.type }, 'support event listener failed')
      }
    }
  }

  const warn = (action: string, tenant: string) => (error: unknown) => log.warn({ err: error, tenant }, `support events: redis ${action} failed; this replica's consoles still hear local events`)

  const connect = (): Redis => {
    if (subscriber) return subscriber
    // A connection in subscriber mode can do nothing else. Unlike the shared client it queues
    // while disconnected, and ioredis subscribes again to every channel after a reconnect.
    const connection = redis!.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined })
    // The shared client already logs Redis going away and coming back; this one would repeat it.
    connection.on('error', () => {})
    connection.on('message', (channel: string, raw: string) => {
      const envelope = parseEnvelope(raw)
      // An event is only ever for the tenant whose channel carried it.
      if (!envelope || envelope.origin === origin || !listeners.has(envelope.tenant) || channel !== tenantKey(envelope.tenant, 'support')) return
      deliver(envelope.tenant, envelope.event)
    })
    return (subscriber = connection)
  }

  return {
    publish(tenant, event) {
      deliver(tenant, event)
      if (!redis) return
      try {
        const envelope: Envelope = { origin, tenant, event }
        redis.publish(tenantKey(tenant, 'support'), JSON.stringify(envelope)).catch(warn('publish', tenant))
      } catch (error) {
        warn('publish', tenant)(error)
      }
    },

    subscribe(tenant, listener) {
      let set = listeners.get(tenant)
      if (!set) {
        listeners.set(tenant, (set = new Set()))
        if (redis) connect().subscribe(tenantKey(tenant, 'support')).catch(warn('subscribe', tenant))
      }
      // Wrapped, so the same function subscribed twice is two subscriptions, each undone once.
      const entry: Listener = (event) => listener(event)
      set.add(entry)
      return () => {
        if (!set.delete(entry) || set.size > 0 || listeners.get(tenant) !== set) return
        listeners.delete(tenant)
        if (subscriber) subscriber.unsubscribe(tenantKey(tenant, 'support')).catch(warn('unsubscribe', tenant))
      }
    },

    async close() {
      listeners.clear()
      const connection = subscriber
      subscriber = undefined
      if (connection) await closeRedis(connection)
    },
  }
}

const DATE_FIELDS: { [K in SupportEvent['type']]: { key: string; dates: readonly string[] } } = {
  handoff: { key: 'handoff', dates: ['queuedAt', 'assignedAt', 'firstResponseAt', 'lastCustomerAt', 'lastAgentAt', 'endedAt'] },
  ticket: { key: 'ticket', dates: ['firstResponseDueAt', 'resolveDueAt', 'firstRespondedAt', 'resolvedAt', 'closedAt', 'createdAt', 'updatedAt'] },
  note: { key: 'note', dates: ['createdAt'] },
  message: { key: 'message', dates: ['at'] },
  customer: { key: 'customer', dates: ['createdAt', 'updatedAt'] },
}

/** An envelope from another replica, its dates Dates again; undefined for anything malformed. */
function parseEnvelope(raw: string): Envelope | undefined {
  let envelope: Envelope
  try {
    envelope = JSON.parse(raw) as Envelope
  } catch {
    return undefined
  }
  const shape = envelope?.event && DATE_FIELDS[envelope.event.type]
  if (typeof envelope.origin !== 'string' || typeof envelope.tenant !== 'string' || !shape) return undefined
  const body = (envelope.event as unknown as Record<string, Record<string, unknown> | undefined>)[shape.key]
  if (!body) return undefined
  for (const field of shape.dates) {
    const value = body[field]
    if (typeof value === 'string') body[field] = new Date(value)
  }
  return envelope
}
