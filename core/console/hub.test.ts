import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { createSupportEvents } from '../support/events.js'
import type { SupportEvents } from '../support/ports.js'
import type { SupportEvent } from '../support/types.js'
import { ConsoleHub, MAX_CONSOLES_PER_TENANT, type EventSink } from './hub.js'

/** The real in-process events, counting how many subscriptions are open per tenant. */
function countedEvents() {
  const events = createSupportEvents({ log: pino({ level: 'silent' }) })
  const open = new Map<string, number>()
  const counted: SupportEvents = {
    publish: (tenant, event) => events.publish(tenant, event),
    subscribe(tenant, listener) {
      open.set(tenant, (open.get(tenant) ?? 0) + 1)
      const unsubscribe = events.subscribe(tenant, listener)
      return () => {
        open.set(tenant, open.get(tenant)! - 1)
        unsubscribe()
      }
    },
  }
  return { events: counted, open }
}

const sink = (): EventSink & { frames: string[] } => {
  const frames: string[] = []
  return { frames, push: (frame) => frames.push(frame) }
}

const note = (text: string): SupportEvent => ({ type: 'note', note: { id: text, conversationId: 'c1', authorId: 'a', authorName: null, text, createdAt: new Date('2030-01-01T00:00:00Z') } })

describe('the console hub', () => {
  it('listens once per tenant and hands each event, encoded once, to that tenant’s consoles only', () => {
    const { events, open } = countedEvents()
    const hub = new ConsoleHub(events)
    const [a1, a2, b1] = [sink(), sink(), sink()]
    hub.join('acme', a1)
    hub.join('acme', a2)
    hub.join('globex', b1)
    expect(open).toEqual(new Map([['acme', 1], ['globex', 1]]))

    events.publish('acme', note('for acme'))
    expect(a1.frames).toEqual([JSON.stringify({ type: 'event', event: note('for acme') })])
    expect(a2.frames).toEqual(a1.frames)
    expect(b1.frames).toEqual([])
  })

  it('stops listening when a tenant’s last console leaves', () => {
    const { events, open } = countedEvents()
    const hub = new ConsoleHub(events)
    const [first, second] = [sink(), sink()]
    hub.join('acme', first)
    hub.join('acme', second)
    hub.leave('acme', first)
    expect(open.get('acme')).toBe(1)
    hub.leave('acme', second)
    hub.leave('acme', second)
    expect(open.get('acme')).toBe(0)
    events.publish('acme', note('nobody hears this'))
    expect(second.frames).toEqual([])
  })

  it('turns away a console past the tenant’s bound, without touching other tenants', () => {
    const { events } = countedEvents()
    const hub = new ConsoleHub(events)
    for (let i = 0; i < MAX_CONSOLES_PER_TENANT; i++) expect(hub.join('acme', sink())).toBe(true)
    const turnedAway = sink()
    expect(hub.join('acme', turnedAway)).toBe(false)
    expect(hub.join('globex', sink())).toBe(true)
    events.publish('acme', note('for the consoles let in'))
    expect(turnedAway.frames).toEqual([])
  })
})
