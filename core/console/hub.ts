import type { SupportEvents } from '../support/ports.js'
import { encode } from './protocol.js'

/** What the hub needs of a socket: a place to put event frames. */
export interface EventSink {
  push(frame: string): void
}

// Each console holds a socket and a slice of the tenant's event fan-out; a runaway script
// opening consoles in a loop must not exhaust either.
export const MAX_CONSOLES_PER_TENANT = 200

/**
 * The signed-in consoles of this process by tenant. One SupportEvents subscription per tenant
 * with consoles open, each event encoded once and handed to that tenant's sockets only.
 */
export class ConsoleHub {
  readonly #tenants = new Map<string, { sinks: Set<EventSink>; unsubscribe: () => void }>()

  constructor(private readonly events: SupportEvents) {}

  /** False when the tenant already has as many consoles open as it may. */
  join(tenant: string, sink: EventSink): boolean {
    let feed = this.#tenants.get(tenant)
    if (!feed) {
      const sinks = new Set<EventSink>()
      const unsubscribe = this.events.subscribe(tenant, (event) => {
        const frame = encode.event(event)
        for (const each of sinks) each.push(frame)
      })
      this.#tenants.set(tenant, (feed = { sinks, unsubscribe }))
    }
    if (feed.sinks.size >= MAX_CONSOLES_PER_TENANT) return false
    feed.sinks.add(sink)
    return true
  }

  leave(tenant: string, sink: EventSink): void {
    const feed = this.#tenants.get(tenant)
    if (!feed?.sinks.delete(sink) || feed.sinks.size > 0) return
    feed.unsubscribe()
    this.#tenants.delete(tenant)
  }
}
