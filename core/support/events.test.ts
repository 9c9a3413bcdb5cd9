import type { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REDIS_URL } from '../../test/databases.js'
import { waitUntil } from '../../test/contract/wait.js'
import { closeRedis, openRedis, waitForRedis } from '../redis/client.js'
import { createSupportEvents } from './events.js'
import type { Note, SupportEvent } from './types.js'

const quiet = { warn: () => {} }
const note = (text: string, conversationId = 'c1'): Note => ({ id: `n-${text}`, conversationId, authorId: 'alice', authorName: 'Alice', text, createdAt: new Date('2030-01-07T09:00:00Z') })
/** What was heard, without the probes that showed a subscription was in place. */
const texts = (events: SupportEvent[]) => events.map((e) => (e.type === 'note' ? e.note.text : e.type)).filter((text) => text !== 'probe')

describe('support events in one process', () => {
  it('reach every listener of the tenant, once, and no other tenant’s', () => {
    const events = createSupportEvents({ log: quiet })
    const acme: SupportEvent[] = []
    const acmeToo: SupportEvent[] = []
    const globex: SupportEvent[] = []
    events.subscribe('acme', (e) => acme.push(e))
    const stop = events.subscribe('acme', (e) => acmeToo.push(e))
    events.subscribe('globex', (e) => globex.push(e))
    events.publish('acme', { type: 'note', note: note('hello') })
    stop()
    events.publish('acme', { type: 'note', note: note('again') })
    expect(texts(acme)).toEqual(['hello', 'again'])
    expect(texts(acmeToo)).toEqual(['hello'])
    expect(globex).toEqual([])
  })

  it('keeps delivering to the others when one listener throws', () => {
    const events = createSupportEvents({ log: quiet })
    const heard: SupportEvent[] = []
    events.subscribe('acme', () => {
      throw new Error('broken console')
    })
    events.subscribe('acme', (e) => heard.push(e))
    events.publish('acme', { type: 'note', note: note('still here') })
    expect(texts(heard)).toEqual(['still here'])
  })
})

describe('support events across replicas on Redis', () => {
  let shared: Redis[]
  let replicas: ReturnType<typeof createSupportEvents>[]

  /** A replica: its own Redis client, as a second gateway process would have. */
  const replica = async () => {
    const redis = openRedis(REDIS_URL)
    await waitForRedis(redis).catch((error: Error) => {
      throw new Error(`Redis is required at ${REDIS_URL}: ${error.message}`)
    })
    shared.push(redis)
    const events = createSupportEvents({ redis, log: quiet })
    replicas.push(events)
    return events
  }
  /** Subscribing is asynchronous on Redis: a probe published until it arrives shows it is in place. */
  const subscribed = async (from: ReturnType<typeof createSupportEvents>, tenant: string, heard: SupportEvent[]) => {
    await waitUntil(() => {
      from.publish(tenant, { type: 'note', note: note('probe') })
      return heard.some((e) => e.type === 'note' && e.note.text === 'probe')
    }, `the ${tenant} subscription`)
    heard.length = 0
  }

  beforeEach(() => {
    shared = []
    replicas = []
  })
  afterEach(async () => {
    for (const events of replicas) await events.close()
    for (const redis of shared) await closeRedis(redis)
  })

  it('one replica hears the other’s events, with dates as dates, for its tenants only, and never its own twice', async () => {
    const first = await replica()
    const second = await replica()
    const tenant = `t${Date.now().toString(36)}`
    const onSecond: SupportEvent[] = []
    const onFirst: SupportEvent[] = []
    const otherTenant: SupportEvent[] = []
    second.subscribe(tenant, (e) => onSecond.push(e))
    second.subscribe(`${tenant}x`, (e) => otherTenant.push(e))
    first.subscribe(tenant, (e) => onFirst.push(e))
    await subscribed(first, tenant, onSecond)

    first.publish(tenant, { type: 'note', note: note('from the first replica') })
    const heard = await waitUntil(() => onSecond.find((e) => e.type === 'note' && e.note.text === 'from the first replica'), 'the event on the second replica')
    expect(heard).toEqual({ type: 'note', note: note('from the first replica') })
    expect(heard.type === 'note' && heard.note.createdAt instanceof Date).toBe(true)
    // The publisher heard it once, at once; the echo from Redis is dropped.
    second.publish(tenant, { type: 'note', note: note('marker') })
    await waitUntil(() => texts(onFirst).includes('marker'), 'the marker on the first replica')
    expect(texts(onFirst)).toEqual(['from the first replica', 'marker'])
    expect(otherTenant).toEqual([])
  })

  it('stops hearing a tenant once its last listener leaves', async () => {
    const first = await replica()
    const second = await replica()
    const tenant = `u${Date.now().toString(36)}`
    const heard: SupportEvent[] = []
    const stop = second.subscribe(tenant, (e) => heard.push(e))
    await subscribed(first, tenant, heard)
    stop()
    const later: SupportEvent[] = []
    second.subscribe(`${tenant}y`, (e) => later.push(e))
    await subscribed(first, `${tenant}y`, later)
    first.publish(tenant, { type: 'note', note: note('nobody listens') })
    first.publish(`${tenant}y`, { type: 'note', note: note('after') })
    await waitUntil(() => texts(later).includes('after'), 'the later event')
    expect(heard).toEqual([])
  })

  it('publishing with Redis gone still reaches this replica’s listeners and never throws', async () => {
    const redis = openRedis('redis://127.0.0.1:1', { commandTimeoutMs: 100 })
    shared.push(redis)
    const warnings: string[] = []
    const events = createSupportEvents({ redis, log: { warn: (_o: object, message: string) => warnings.push(message) } as never })
    replicas.push(events)
    const heard: SupportEvent[] = []
    events.subscribe('acme', (e) => heard.push(e))
    expect(() => events.publish('acme', { type: 'note', note: note('local') })).not.toThrow()
    expect(texts(heard)).toEqual(['local'])
    await waitUntil(() => warnings.length > 0, 'a warning about Redis')
  })
})
