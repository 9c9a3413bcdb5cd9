import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { REDIS_URL } from '../../test/databases.js'
import { ReplayGuard } from './replay-guard.js'

const log = pino({ level: 'silent' })

describe('the replay guard', () => {
  it('lets WeChat’s own retry (same query, same body) through, and refuses the query with another body', async () => {
    const guard = new ReplayGuard({ ttlSeconds: 600, log })
    expect(await guard.admit('1712052000', '111', 'body-a')).toBe(true)
    expect(await guard.admit('1712052000', '111', 'body-a')).toBe(true)
    expect(await guard.admit('1712052000', '111', 'body-b')).toBe(false)
    expect(await guard.admit('1712052000', '222', 'body-b')).toBe(true)
  })

  it('forgets a pair after its time, and keeps at most maxEntries', async () => {
    let now = 0
    const guard = new ReplayGuard({ ttlSeconds: 10, maxEntries: 2, log, now: () => now })
    await guard.admit('1', 'n', 'a')
    now = 11_000
    expect(await guard.admit('1', 'n', 'b')).toBe(true)
    await guard.admit('2', 'n', 'a')
    await guard.admit('3', 'n', 'a')
    // The oldest pair made room for the third.
    expect(await guard.admit('1', 'n', 'c')).toBe(true)
  })

  describe('with Redis', () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 })
    afterAll(() => redis.quit())

    it('is shared by every replica, and expires with the WeCom nonce window', async () => {
      const prefix = `sb:{t${randomBytes(4).toString('hex')}}:wechat:nonce:wecom`
      const a = new ReplayGuard({ ttlSeconds: 7200, shared: { redis, prefix }, log })
      const b = new ReplayGuard({ ttlSeconds: 7200, shared: { redis, prefix }, log })
      expect(await a.admit('1712052000', 'abc', 'body-a')).toBe(true)
      expect(await b.admit('1712052000', 'abc', 'body-a')).toBe(true)
      expect(await b.admit('1712052000', 'abc', 'body-b')).toBe(false)
      const ttl = await redis.ttl(`${prefix}:1712052000:abc`)
      expect(ttl).toBeGreaterThan(7000)
      expect(ttl).toBeLessThanOrEqual(7200)
    })
  })
})
