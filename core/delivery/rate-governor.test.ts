import { Redis } from 'ioredis'
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { REDIS_URL } from '../../test/databases.js'
import { createRateGovernor } from './rate-governor.js'

const rules = { chat: { points: 1, seconds: 1 }, group: { points: 3, seconds: 60 }, bot: { points: 5, seconds: 1 } }

describe('the outbound rate governor', () => {
  it('lets a send go while every bucket has room and says how long to wait when one is empty', async () => {
    const governor = createRateGovernor({ tenant: 'acme', instance: 'tg' }, rules)
    expect(await governor.take({ chat: '42', bot: 'all' })).toBe(0)
    const wait = await governor.take({ chat: '42', bot: 'all' })
    expect(wait).toBeGreaterThan(0)
    expect(wait).toBeLessThanOrEqual(1000)
    // Another chat is not held up by the first one's bucket.
    expect(await governor.take({ chat: '43', bot: 'all' })).toBe(0)
  })

  it('takes nothing from the other buckets when one refuses, so a waiting send does not eat the room it waits for', async () => {
    const governor = createRateGovernor({ tenant: 'acme', instance: 'tg' }, rules)
    for (let chat = 0; chat < 3; chat++) expect(await governor.take({ chat: `g${chat}`, group: '-100', bot: 'all' })).toBe(0)
    // The group is full: these are refused, and the bot-wide bucket keeps its two remaining sends.
    for (let i = 0; i < 4; i++) expect(await governor.take({ chat: `x${i}`, group: '-100', bot: 'all' })).toBeGreaterThan(1000)
    expect(await governor.take({ chat: 'y1', bot: 'all' })).toBe(0)
    expect(await governor.take({ chat: 'y2', bot: 'all' })).toBe(0)
    expect(await governor.take({ chat: 'y3', bot: 'all' })).toBeGreaterThan(0)
  })

  describe('with Redis', () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 })
    afterAll(() => redis.quit())

    it('is shared by every replica of the gateway', async () => {
      await redis.ping()
      const tenant = `t${randomBytes(4).toString('hex')}`
      const replicaA = createRateGovernor({ tenant, instance: 'tg', redis }, rules)
      const replicaB = createRateGovernor({ tenant, instance: 'tg', redis }, rules)
      expect(await replicaA.take({ chat: '42', bot: 'all' })).toBe(0)
      expect(await replicaB.take({ chat: '42', bot: 'all' })).toBeGreaterThan(0)
      expect(await redis.exists(`sb:{${tenant}}:rl:out:tg:chat:42`)).toBe(1)
    })
  })
})
