import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgres, type TestDatabase, REDIS_URL } from '../databases.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient } from '../harness/ws-client.js'
import { tempConfig, webchatTenant } from '../kit/tenants.js'


const metric = async (gw: TestGateway, limit: string) => {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('switchboard_limit_rejections_total') && l.includes(`limit="${limit}"`))
  return line ? Number(line.split(' ').at(-1)) : 0
}

describe('per-tenant limits', () => {
  describe('in one process', () => {
    let config: Awaited<ReturnType<typeof tempConfig>>
    let gw: TestGateway
    beforeAll(async () => {
      config = await tempConfig({ acme: webchatTenant({ id: 'acme', limits: { messagesPerMinute: 3, openSockets: 2 } }) })
      gw = await startTestGateway({ configDir: config.dir })
    })
    afterAll(async () => {
      await gw?.close()
      await config?.remove()
    })

    it('tells a visitor over the message budget to slow down, with a retry hint, and stores nothing', async () => {
      const visitor = new ChatClient(gw.wsUrl('acme'))
      await visitor.connect()
      for (const text of ['one', 'two', 'three']) expect((await visitor.say(text)).type).toBe('ack')
      const refused = await visitor.say('four')
      expect(refused).toMatchObject({ type: 'error', code: 'SB_ERR_RATE_LIMITED' })
      expect(refused.retry_after_ms).toBeGreaterThan(0)
      await new Promise((r) => setTimeout(r, 200))
      expect(visitor.messages.map((m) => m.text)).toEqual(['noted', 'noted', 'noted'])
      expect(await metric(gw, 'messages')).toBe(1)
      visitor.close()
    })

    it('refuses a socket over the open-socket budget with 429 and frees the slot when one closes', async () => {
      const first = await new ChatClient(gw.wsUrl('acme')).open()
      const second = await new ChatClient(gw.wsUrl('acme')).open()
      await expect(new ChatClient(gw.wsUrl('acme')).open()).rejects.toMatchObject({ status: 429 })
      expect(await metric(gw, 'sockets')).toBe(1)
      first.close()
      await first.closed()
      await new Promise((r) => setTimeout(r, 50))
      const third = await new ChatClient(gw.wsUrl('acme')).open()
      second.close()
      third.close()
    })
  })

  describe('across two replicas sharing PostgreSQL and Redis', () => {
    // A tenant id of its own per run: Redis keeps the minute's counters after the test.
    const tenant = `limits-${randomBytes(4).toString('hex')}`
    let db: TestDatabase
    let config: Awaited<ReturnType<typeof tempConfig>>
    let replicas: TestGateway[]
    beforeAll(async () => {
      db = await freshPostgres()
      config = await tempConfig({ [tenant]: webchatTenant({ id: tenant, limits: { messagesPerMinute: 4 } }) })
      const env = { REDIS_URL, SWITCHBOARD_SESSION_SECRET: randomBytes(32).toString('base64') }
      replicas = [await startTestGateway({ configDir: config.dir, databaseUrl: db.url, env }), await startTestGateway({ configDir: config.dir, databaseUrl: db.url, env })]
    })
    afterAll(async () => {
      for (const gw of replicas ?? []) await gw.close()
      await db?.drop()
      await config?.remove()
      const redis = new Redis(REDIS_URL)
      const keys = await redis.keys(`sb:{${tenant}}:*`)
      if (keys.length) await redis.del(...keys)
      await redis.quit()
    })

    it('counts one budget for the tenant wherever its messages arrive, under the tenant’s own Redis keys', async () => {
      const [a, b] = replicas.map((gw) => new ChatClient(gw.wsUrl(tenant)))
      await a!.connect()
      await b!.connect()
      const outcomes = []
      for (let i = 0; i < 3; i++) {
        outcomes.push((await a!.say(`a${i}`)).type)
        outcomes.push((await b!.say(`b${i}`)).type)
      }
      expect(outcomes.filter((o) => o === 'ack')).toHaveLength(4)
      expect(outcomes.filter((o) => o === 'error')).toHaveLength(2)
      const redis = new Redis(REDIS_URL)
      const keys = await redis.keys(`*${tenant}*`)
      await redis.quit()
      expect(keys.length).toBeGreaterThan(0)
      expect(keys.every((k) => k.startsWith(`sb:{${tenant}}:`))).toBe(true)
      a!.close()
      b!.close()
    })
  })
})
