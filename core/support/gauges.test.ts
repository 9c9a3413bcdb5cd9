import { container as rootContainer } from 'tsyringe'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freshPglite, type TestDatabase } from '../../test/databases.js'
import { metricValue } from '../../test/contract/wait.js'
import { agent, supportDesk } from '../../test/kit/support.js'
import { Tokens } from '../di/tokens.js'
import { Metrics } from '../observability/metrics.js'
import { recordSupportGauges } from './gauges.js'
import { DEFAULT_TICKET_POLICY } from './sla.js'

describe('support gauges at scrape time', () => {
  let t: TestDatabase
  let desk: ReturnType<typeof supportDesk>
  let metrics: Metrics
  const scope = rootContainer.createChildContainer()

  beforeEach(async () => {
    t = await freshPglite()
    desk = supportDesk(t)
    metrics = new Metrics({ defaultMetrics: false })
    scope.register(Tokens.Handoffs, { useValue: desk.handoffs })
    scope.register(Tokens.Tickets, { useValue: desk.tickets })
    scope.register(Tokens.Clock, { useValue: desk.clock })
  })
  afterEach(() => t.drop())

  const scrape = async (tenants: string[]) => {
    await recordSupportGauges(scope, metrics, tenants)
    return (await metrics.render()).body
  }

  it('shows the queue by VIP level, the longest wait and SLA breaches; an emptied queue reads 0', async () => {
    for (const [user, vipLevel] of [['a', 0], ['b', 2], ['c', 2]] as const) {
      const chat = await desk.conversation('acme', user)
      await desk.handoffs.enqueue('acme', { conversationId: chat.id, channel: 'websocket', instance: 'web', reason: 'human_agent', vipLevel }, desk.clock.date())
    }
    await desk.tickets.create('acme', { subject: 'Late', priority: 'urgent', source: 'agent' }, agent('alice'), DEFAULT_TICKET_POLICY.sla)
    desk.clock.advance(20 * 60_000)

    let body = await scrape(['acme', 'globex'])
    expect(metricValue(body, 'switchboard_handoff_queue_length', { tenant: 'acme', vip: '2' })).toBe(2)
    expect(metricValue(body, 'switchboard_handoff_queue_length', { tenant: 'acme', vip: '0' })).toBe(1)
    expect(metricValue(body, 'switchboard_handoff_queue_oldest_seconds', { tenant: 'acme' })).toBe(1200)
    expect(metricValue(body, 'switchboard_tickets_breaching_sla', { tenant: 'acme', clock: 'first_response' })).toBe(1)
    expect(metricValue(body, 'switchboard_tickets_breaching_sla', { tenant: 'acme', clock: 'resolve' })).toBe(0)
    expect(body).toContain('switchboard_handoff_queue_length{tenant="globex",vip="0"} 0')

    for (const who of ['alice', 'bob', 'carol']) await desk.handoffs.take('acme', agent(who), undefined, desk.clock.date())
    body = await scrape(['acme'])
    expect(body).not.toContain('vip="2"')
    expect(body).not.toContain('tenant="globex"')
    expect(metricValue(body, 'switchboard_handoff_queue_length', { tenant: 'acme', vip: '0' })).toBe(0)
    expect(metricValue(body, 'switchboard_handoff_queue_oldest_seconds', { tenant: 'acme' })).toBe(0)
  })
})
