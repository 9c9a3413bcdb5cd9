import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { REDIS_URL } from '../../test/databases.js'
import { AccessTokens, TokenUnavailable, type IssuedToken } from './access-tokens.js'

const log = pino({ level: 'silent' })

/** A token endpoint that counts its calls and issues tok-1, tok-2… */
function endpoint(expiresInSeconds = 7200, delayMs = 0) {
  let issued = 0
  return {
    get issued() {
      return issued
    },
    issue: async (): Promise<IssuedToken> => {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs))
      return { token: `tok-${++issued}`, expiresInSeconds }
    },
  }
}

describe('an app’s access token', () => {
  it('is fetched once for many concurrent sends, then served from the cache', async () => {
    const wechat = endpoint(7200, 20)
    const tokens = new AccessTokens({ issue: wechat.issue, waitForPeerMs: 1000, label: 'WeChat', log })
    expect(await Promise.all([tokens.get(), tokens.get(), tokens.get()])).toEqual(['tok-1', 'tok-1', 'tok-1'])
    expect(await tokens.get()).toBe('tok-1')
    expect(wechat.issued).toBe(1)
  })

  it('is renewed five minutes before it expires, or halfway through a short life', async () => {
    let now = 0
    const wechat = endpoint(7200)
    const tokens = new AccessTokens({ issue: wechat.issue, waitForPeerMs: 1000, label: 'WeChat', log, now: () => now })
    await tokens.get()
    now = (7200 - 301) * 1000
    expect(await tokens.get()).toBe('tok-1')
    now = (7200 - 299) * 1000
    expect(await tokens.get()).toBe('tok-2')
    const short = new AccessTokens({ issue: endpoint(60).issue, waitForPeerMs: 1000, label: 'WeChat', log, now: () => now })
    await short.get()
    now += 29_000
    expect(await short.get()).toBe('tok-1')
    now += 2000
    expect(await short.get()).toBe('tok-2')
  })

  it('drops a token WeChat refused, but keeps a newer one fetched meanwhile', async () => {
    const wechat = endpoint()
    const tokens = new AccessTokens({ issue: wechat.issue, waitForPeerMs: 1000, label: 'WeChat', log })
    await tokens.invalidate(await tokens.get())
    expect(await tokens.get()).toBe('tok-2')
    await tokens.invalidate('tok-1')
    expect(await tokens.get()).toBe('tok-2')
  })

  it('passes a refusal on and tries again on the next send', async () => {
    let fail = true
    const tokens = new AccessTokens({
      issue: async () => {
        if (fail) throw new TokenUnavailable('access token refused: 40125 invalid appsecret')
        return { token: 'fresh', expiresInSeconds: 7200 }
      },
      waitForPeerMs: 1000,
      label: 'WeChat',
      log,
    })
    await expect(tokens.get()).rejects.toThrow('40125')
    fail = false
    expect(await tokens.get()).toBe('fresh')
  })

  describe('shared through Redis by every replica', () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 })
    afterAll(() => redis.quit())
    const key = () => `sb:{t${randomBytes(4).toString('hex')}}:wechat:token:wx1`

    it('is fetched by one replica only, however many start at once, since each fetch cuts off the last token', async () => {
      const wechat = endpoint(7200, 50)
      const shared = { redis, key: key() }
      const replicas = [1, 2, 3].map(() => new AccessTokens({ issue: wechat.issue, shared, waitForPeerMs: 2000, label: 'WeChat', log }))
      expect(await Promise.all(replicas.map((r) => r.get()))).toEqual(['tok-1', 'tok-1', 'tok-1'])
      expect(wechat.issued).toBe(1)
      expect(await redis.exists(`${shared.key}:lock`)).toBe(0)
    })

    it('after a refusal, the replica that saw it fetches a new one and the others pick that up', async () => {
      const wechat = endpoint()
      const shared = { redis, key: key() }
      const a = new AccessTokens({ issue: wechat.issue, shared, waitForPeerMs: 2000, label: 'WeChat', log })
      const b = new AccessTokens({ issue: wechat.issue, shared, waitForPeerMs: 2000, label: 'WeChat', log })
      expect(await a.get()).toBe('tok-1')
      expect(await b.get()).toBe('tok-1')
      await a.invalidate('tok-1')
      expect(await a.get()).toBe('tok-2')
      // b still holds tok-1 (WeChat keeps it working a few minutes); once refused, it finds tok-2 without fetching.
      await b.invalidate('tok-1')
      expect(await b.get()).toBe('tok-2')
      expect(wechat.issued).toBe(2)
    })

    it('falls back to a replica’s own token while Redis is unreachable', async () => {
      const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
      const tokens = new AccessTokens({ issue: endpoint().issue, shared: { redis: down, key: key() }, waitForPeerMs: 500, label: 'WeChat', log })
      expect(await tokens.get()).toBe('tok-1')
      await tokens.invalidate('tok-1')
      down.disconnect()
    })
  })
})
