import type { Redis } from 'ioredis'
import { REDIS_URL } from '../../test/databases.js'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { closeRedis, openRedis, waitForRedis } from '../redis/client.js'
import { TenantLimits, type LimitName } from './tenant-limits.js'

// A real Redis is part of the test environment (CI starts one): if it is down these tests fail.

// Unique per run so parallel or leftover runs never share counters; cleaned up in afterAll.
const run = `${process.pid.toString(36)}-${Date.now().toString(36)}`
let seq = 0
const newTenant = (): string => `lt-${run}-${++seq}`

const clients: Redis[] = []
async function connect(): Promise<Redis> {
  const redis = openRedis(REDIS_URL)
  clients.push(redis)
  await waitForRedis(redis, 5_000)
  return redis
}

async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    keys.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return keys
}

afterAll(async () => {
  // No ready client means connecting already failed the Redis suites; there is nothing to clean.
  const redis = clients.find((c) => c.status === 'ready')
  if (redis) {
    const keys = await keysMatching(redis, `*lt-${run}-*`)
    if (keys.length > 0) await redis.del(...keys)
  }
  await Promise.all(clients.map((c) => closeRedis(c)))
})

describe.each([{ store: 'memory' as const }, { store: 'redis' as const }])('TenantLimits ($store)', ({ store }) => {
  let redis: Redis | undefined
  beforeAll(async () => {
    if (store === 'redis') redis = await connect()
  })

  const make = (rejections: [string, LimitName][] = []): TenantLimits =>
    new TenantLimits({ redis, onReject: (tenant, limit) => rejections.push([tenant, limit]) })

  it('refuses messages over the per-minute budget with a retry delay and reports it', async () => {
    const rejections: [string, LimitName][] = []
    const limits = make(rejections)
    const tenant = newTenant()
    limits.configure(tenant, { messagesPerMinute: 3 })
    for (let i = 0; i < 3; i++) expect(await limits.consumeMessage(tenant)).toEqual({ ok: true })
    const refused = await limits.consumeMessage(tenant)
    expect(refused.ok).toBe(false)
    if (refused.ok) return
    expect(refused.retryAfterMs).toBeGreaterThan(0)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000)
    expect(rejections).toEqual([[tenant, 'messages']])
  })

  it('keeps a separate budget per key within a tenant', async () => {
    const limits = make()
    const tenant = newTenant()
    limits.configure(tenant, { messagesPerMinute: 1 })
    expect((await limits.consumeMessage(tenant, 'alice')).ok).toBe(true)
    expect((await limits.consumeMessage(tenant, 'alice')).ok).toBe(false)
    expect((await limits.consumeMessage(tenant, 'bob')).ok).toBe(true)
    expect((await limits.consumeMessage(tenant)).ok).toBe(true)
  })

  it('does not let one tenant exhausting its budget affect another', async () => {
    const rejections: [string, LimitName][] = []
    const limits = make(rejections)
    const [a, b] = [newTenant(), newTenant()]
    limits.configure(a, { messagesPerMinute: 2 })
    limits.configure(b, { messagesPerMinute: 2 })
    for (let i = 0; i < 5; i++) await limits.consumeMessage(a)
    expect((await limits.consumeMessage(a)).ok).toBe(false)
    expect((await limits.consumeMessage(b)).ok).toBe(true)
    expect((await limits.consumeMessage(b)).ok).toBe(true)
    expect(rejections.every(([tenant]) => tenant === a)).toBe(true)
  })

  it(
    store === 'redis' ? 'shares one message budget between replicas' : 'keeps message budgets per process without Redis',
    async () => {
      const [one, two] = [make(), make()]
      const tenant = newTenant()
      one.configure(tenant, { messagesPerMinute: 3 })
      two.configure(tenant, { messagesPerMinute: 3 })
      expect((await one.consumeMessage(tenant)).ok).toBe(true)
      expect((await one.consumeMessage(tenant)).ok).toBe(true)
      expect((await two.consumeMessage(tenant)).ok).toBe(true)
      expect((await two.consumeMessage(tenant)).ok).toBe(store === 'memory')
      expect((await one.consumeMessage(tenant)).ok).toBe(store === 'memory')
    },
  )

  const slots = [
    { limit: 'turns', config: 'concurrentTurns', acquire: 'acquireTurn', release: 'releaseTurn' },
    { limit: 'sockets', config: 'openSockets', acquire: 'acquireSocket', release: 'releaseSocket' },
  ] as const

  describe.each(slots)('$limit', ({ limit, config, acquire, release }) => {
    it('admits up to the limit, refuses the next, and a release frees a slot', () => {
      const rejections: [string, LimitName][] = []
      const limits = make(rejections)
      const tenant = newTenant()
      limits.configure(tenant, { [config]: 2 })
      expect(limits[acquire](tenant)).toBe(true)
      expect(limits[acquire](tenant)).toBe(true)
      expect(limits[acquire](tenant)).toBe(false)
      expect(rejections).toEqual([[tenant, limit]])
      limits[release](tenant)
      expect(limits[acquire](tenant)).toBe(true)
      expect(limits[acquire](tenant)).toBe(false)
      expect(limits.snapshot(tenant)?.[limit]).toBe(2)
    })

    it('takes a higher limit on reconfigure without resetting the count, and a lower one without evicting', () => {
      const limits = make()
      const tenant = newTenant()
      limits.configure(tenant, { [config]: 1 })
      expect(limits[acquire](tenant)).toBe(true)
      expect(limits[acquire](tenant)).toBe(false)
      limits.configure(tenant, { [config]: 3 })
      expect(limits[acquire](tenant)).toBe(true)
      expect(limits[acquire](tenant)).toBe(true)
      expect(limits[acquire](tenant)).toBe(false)
      expect(limits.snapshot(tenant)).toMatchObject({ limits: { [config]: 3 }, [limit]: 3 })

      limits.configure(tenant, { [config]: 1 })
      expect(limits.snapshot(tenant)?.[limit]).toBe(3)
      limits[release](tenant)
      limits[release](tenant)
      expect(limits[acquire](tenant)).toBe(false)
      limits[release](tenant)
      expect(limits[acquire](tenant)).toBe(true)
    })

    it('counts while unlimited, so a limit added later starts from the real count', () => {
      const limits = make()
      const tenant = newTenant()
      limits.configure(tenant, {})
      for (let i = 0; i < 5; i++) expect(limits[acquire](tenant)).toBe(true)
      limits.configure(tenant, { [config]: 5 })
      expect(limits[acquire](tenant)).toBe(false)
      // Extra releases must not open slots that were never taken.
      for (let i = 0; i < 10; i++) limits[release](tenant)
      expect(limits.snapshot(tenant)?.[limit]).toBe(0)
    })
  })

  it('takes a higher message budget on reconfigure without resetting what was counted', async () => {
    const limits = make()
    const tenant = newTenant()
    limits.configure(tenant, { messagesPerMinute: 2 })
    expect((await limits.consumeMessage(tenant)).ok).toBe(true)
    expect((await limits.consumeMessage(tenant)).ok).toBe(true)
    expect((await limits.consumeMessage(tenant)).ok).toBe(false)
    limits.configure(tenant, { messagesPerMinute: 5 })
    // 3 counted so far (the refused one too): 2 more fit under 5, not a fresh 5.
    expect((await limits.consumeMessage(tenant)).ok).toBe(true)
    expect((await limits.consumeMessage(tenant)).ok).toBe(true)
    expect((await limits.consumeMessage(tenant)).ok).toBe(false)
  })

  it('lets an unlimited tenant through without touching Redis', async () => {
    const limits = make()
    const tenant = newTenant()
    const spy = redis ? vi.spyOn(redis, 'sendCommand') : undefined
    try {
      limits.configure(tenant, { concurrentTurns: 1 })
      for (let i = 0; i < 50; i++) expect(await limits.consumeMessage(tenant, `k${i}`)).toEqual({ ok: true })
      limits.configure(tenant, {})
      for (let i = 0; i < 50; i++) expect(await limits.consumeMessage(tenant)).toEqual({ ok: true })
      expect(await limits.consumeMessage('never-configured')).toEqual({ ok: true })
      expect(limits.snapshot(tenant)).toEqual({ limits: {}, turns: 0, sockets: 0, messageBudget: 'unlimited' })
      if (spy) expect(spy).not.toHaveBeenCalled()
    } finally {
      spy?.mockRestore()
    }
  })

  it('forgets a removed tenant, and late releases for it are harmless', async () => {
    const limits = make()
    const tenant = newTenant()
    limits.configure(tenant, { messagesPerMinute: 0, concurrentTurns: 0, openSockets: 0 })
    expect((await limits.consumeMessage(tenant)).ok).toBe(false)
    expect(limits.acquireTurn(tenant)).toBe(false)
    limits.remove(tenant)
    limits.releaseTurn(tenant)
    limits.releaseSocket(tenant)
    expect(limits.snapshot(tenant)).toBeUndefined()
    expect((await limits.consumeMessage(tenant)).ok).toBe(true)
  })

  it('refuses limits that are not whole numbers >= 0', () => {
    const limits = make()
    const tenant = newTenant()
    expect(() => limits.configure(tenant, { messagesPerMinute: -1 })).toThrow(RangeError)
    expect(() => limits.configure(tenant, { concurrentTurns: 1.5 })).toThrow(RangeError)
    expect(() => limits.configure(tenant, { openSockets: Number.NaN })).toThrow(RangeError)
    expect(limits.snapshot(tenant)).toBeUndefined()
  })

  it('reports where the message budget is counted', () => {
    const limits = make()
    const tenant = newTenant()
    limits.configure(tenant, { messagesPerMinute: 10, openSockets: 4 })
    expect(limits.snapshot(tenant)).toEqual({
      limits: { messagesPerMinute: 10, openSockets: 4 },
      turns: 0,
      sockets: 0,
      messageBudget: store,
    })
  })
})

describe('TenantLimits on Redis', () => {
  let redis: Redis
  beforeAll(async () => {
    redis = await connect()
  })

  it('writes only keys under sb:{tenant}:, and they expire', async () => {
    const [a, b] = [newTenant(), newTenant()]
    const one = new TenantLimits({ redis })
    const two = new TenantLimits({ redis })
    const spy = vi.spyOn(redis, 'sendCommand')
    try {
      for (const limits of [one, two]) {
        limits.configure(a, { messagesPerMinute: 2 })
        limits.configure(b, { messagesPerMinute: 2, concurrentTurns: 1 })
        for (let i = 0; i < 3; i++) {
          await limits.consumeMessage(a)
          await limits.consumeMessage(b, 'sender:{x}')
        }
      }
      const touched = spy.mock.calls.flatMap(([command]) => command.getKeys().map(String))
      expect(touched.length).toBeGreaterThan(0)
      for (const key of touched) expect(key.startsWith(`sb:{${a}}:`) || key.startsWith(`sb:{${b}}:`), key).toBe(true)
    } finally {
      spy.mockRestore()
    }

    for (const tenant of [a, b]) {
      const stored = await keysMatching(redis, `*${tenant}*`)
      expect(stored.length).toBeGreaterThan(0)
      for (const key of stored) {
        expect(key.startsWith(`sb:{${tenant}}:rl:messages:`), key).toBe(true)
        expect(await redis.pttl(key)).toBeGreaterThan(0)
      }
    }
  })

  it('falls back to an in-memory budget when Redis is unreachable, logging once and never throwing', async () => {
    const warnings: string[] = []
    const log = { info: () => {}, warn: (_: object, msg: string) => void warnings.push(msg) }
    // Nothing listens on port 1: every connection attempt is refused.
    const dead = openRedis('redis://127.0.0.1:1', { log })
    try {
      const rejections: [string, LimitName][] = []
      const limits = new TenantLimits({ redis: dead, onReject: (tenant, limit) => rejections.push([tenant, limit]) })
      const tenant = newTenant()
      limits.configure(tenant, { messagesPerMinute: 2 })
      expect((await limits.consumeMessage(tenant)).ok).toBe(true)
      expect((await limits.consumeMessage(tenant)).ok).toBe(true)
      const refused = await limits.consumeMessage(tenant)
      expect(refused).toMatchObject({ ok: false })
      expect(rejections).toEqual([[tenant, 'messages']])
      await vi.waitFor(() => expect(warnings).toEqual(['redis unavailable']), { timeout: 3_000 })
      await new Promise((r) => setTimeout(r, 500))
      expect(warnings).toEqual(['redis unavailable'])
    } finally {
      await closeRedis(dead)
    }
  })
})
