import type { DependencyContainer } from 'tsyringe'
import { Tokens } from '../di/tokens.js'
import type { Metrics } from '../observability/metrics.js'

/**
 * The desk's gauges, read from the database at scrape time like the outbox's: every replica
 * reports the same shared queue, so dashboards take max() per tenant, not sum().
 */
export async function recordSupportGauges(root: DependencyContainer, metrics: Metrics, tenants: readonly string[]): Promise<void> {
  const handoffs = root.resolve(Tokens.Handoffs)
  const tickets = root.resolve(Tokens.Tickets)
  const now = new Date(root.resolve(Tokens.Clock).now())
  const readings = await Promise.all(
    tenants.map(async (tenant) => ({ tenant, queue: await handoffs.queueLengths(tenant), breaching: await tickets.breaching(tenant, now) })),
  )
  // Reset first: a VIP level whose queue emptied, or a removed tenant, must not keep its last value.
  metrics.handoffQueueLength.reset()
  metrics.handoffQueueOldest.reset()
  metrics.ticketsBreachingSla.reset()
  for (const { tenant, queue, breaching } of readings) {
    // An empty queue reads 0, not "no data": alerts on it keep working.
    const lengths = new Map<number, number>([[0, 0], ...queue.map((level) => [level.vipLevel, level.queued] as const)])
    for (const [vip, queued] of lengths) metrics.handoffQueueLength.set({ tenant, vip: String(vip) }, queued)
    metrics.handoffQueueOldest.set({ tenant }, Math.max(0, ...queue.map((level) => level.oldestSeconds)))
    metrics.ticketsBreachingSla.set({ tenant, clock: 'first_response' }, breaching.firstResponse)
    metrics.ticketsBreachingSla.set({ tenant, clock: 'resolve' }, breaching.resolve)
  }
}
