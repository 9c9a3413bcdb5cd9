import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { engines, type TestDatabase } from '../../../test/databases.js'
import type { Clock } from '../../clock.js'
import { PLATFORM_TENANT } from '../../store/database.js'
import { ApiKeyRequestError, ApiKeyStore } from './api-keys.js'

const MINUTE = 60_000

describe.each(engines)('API keys on %s', (_name, open) => {
  let t: TestDatabase
  let now: number
  let keys: ApiKeyStore
  const clock: Clock = { now: () => now }

  beforeEach(async () => {
    t = await open()
    now = Date.parse('2030-01-01T00:00:00Z')
    keys = new ApiKeyStore(t.db, clock)
  })
  afterEach(async () => {
    await t.drop()
  })

  const create = (tenant = 'acme', extra: Partial<Parameters<ApiKeyStore['create']>[1]> = {}) =>
    keys.create(tenant, { name: 'ci', role: 'tenant-admin', createdBy: 'u-alice', ...extra })

  it('shows the key once and stores only its hash', async () => {
    const { key, record } = await create()
    expect(key).toMatch(/^sb_[a-z2-7]{10}_[A-Za-z0-9_-]{43}$/)
    expect(key.slice(3, 13)).toBe(record.id)
    expect(record).toMatchObject({ tenant: 'acme', name: 'ci', role: 'tenant-admin', createdBy: 'u-alice', expiresAt: null, lastUsedAt: null, revokedAt: null })
    expect(record).not.toHaveProperty('hash')

    const rows = await t.db.owner.query<Record<string, unknown>>('SELECT * FROM api_keys')
    expect(rows).toHaveLength(1)
    const secret = key.split('_').slice(2).join('_')
    for (const value of Object.values(rows[0]!)) {
      const text = value instanceof Date ? value.toISOString() : String(value)
      expect(text).not.toContain(secret)
      expect(text).not.toContain(key)
    }
    expect(rows[0]!.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('makes a different key every time', async () => {
    const a = await create()
    const b = await create()
    expect(a.key).not.toBe(b.key)
    expect(a.record.id).not.toBe(b.record.id)
  })

  it('authenticates a key as its tenant and role', async () => {
    const { key, record } = await create('acme', { role: 'agent' })
    expect(await keys.authenticate(key)).toEqual({ ok: true, principal: { kind: 'key', id: record.id, name: 'ci', tenant: 'acme', roles: ['agent'] } })
  })

  it('authenticates a platform key as platform-wide', async () => {
    const { key } = await create(PLATFORM_TENANT, { role: 'platform-admin' })
    const result = await keys.authenticate(key)
    expect(result).toMatchObject({ ok: true, principal: { tenant: null, roles: ['platform-admin'] } })
  })

  it('a key of tenant A authenticates as tenant A only', async () => {
    const a = await create('acme')
    const b = await create('globex')
    expect(await keys.authenticate(a.key)).toMatchObject({ ok: true, principal: { id: a.record.id, tenant: 'acme' } })
    expect(await keys.authenticate(b.key)).toMatchObject({ ok: true, principal: { id: b.record.id, tenant: 'globex' } })
    expect(await keys.get('globex', a.record.id)).toBeUndefined()
    expect(await keys.revoke('globex', a.record.id)).toBe(false)
    expect(await keys.authenticate(a.key)).toMatchObject({ ok: true })
  })

  it('refuses garbage as malformed before looking it up', async () => {
    for (const garbage of ['', 'sb_', 'Bearer x', 'sb_ABCDEFGHIJ_' + 'a'.repeat(43), 'sb_abcdefghij_' + 'a'.repeat(42), 'eyJhbGciOi.x.y', 'sb_abcdefghij_' + 'a'.repeat(43) + ' ']) {
      expect(await keys.authenticate(garbage)).toEqual({ ok: false, reason: 'malformed' })
    }
  })

  it('refuses a well-formed key it never issued, and a tampered one', async () => {
    const { key } = await create()
    expect(await keys.authenticate('sb_abcdefghij_' + 'a'.repeat(43))).toEqual({ ok: false, reason: 'unknown' })
    const tampered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')
    expect(await keys.authenticate(tampered)).toEqual({ ok: false, reason: 'unknown' })
  })

  it('refuses a revoked key; revoking twice or an unknown key answers false', async () => {
    const { key, record } = await create()
    expect(await keys.revoke('acme', record.id)).toBe(true)
    expect(await keys.revoke('acme', record.id)).toBe(false)
    expect(await keys.revoke('acme', 'nosuchkey0')).toBe(false)
    expect(await keys.authenticate(key)).toEqual({ ok: false, reason: 'revoked' })
    expect((await keys.get('acme', record.id))?.revokedAt).toEqual(new Date(now))
  })

  it('refuses an expired key', async () => {
    const { key } = await create('acme', { expiresAt: new Date(now + 10 * MINUTE) })
    expect(await keys.authenticate(key)).toMatchObject({ ok: true })
    now += 10 * MINUTE
    expect(await keys.authenticate(key)).toEqual({ ok: false, reason: 'expired' })
  })

  it('lists a tenant’s keys without their hashes', async () => {
    const a = await create('acme', { name: 'first' })
    now += 1000
    const b = await create('acme', { name: 'second', role: 'viewer' })
    await create('globex', { name: 'other' })
    const listed = await keys.list('acme')
    expect(listed.map((k) => k.id)).toEqual([a.record.id, b.record.id])
    for (const record of listed) {
      expect(record).not.toHaveProperty('hash')
      expect(JSON.stringify(record)).not.toMatch(/[0-9a-f]{64}/)
    }
    expect(await keys.get('acme', b.record.id)).toMatchObject({ name: 'second', role: 'viewer' })
    expect(await keys.get('acme', b.record.id)).not.toHaveProperty('hash')
  })

  it('writes last_used_at at most once a minute', async () => {
    const { key, record } = await create()
    const lastUsed = async () => (await keys.get('acme', record.id))!.lastUsedAt?.getTime()
    const first = now
    await keys.authenticate(key)
    expect(await lastUsed()).toBe(first)
    now += 30_000
    await keys.authenticate(key)
    expect(await lastUsed()).toBe(first)
    now += 31_000
    await keys.authenticate(key)
    expect(await lastUsed()).toBe(now)
  })

  it('keeps platform-admin to platform keys and platform keys to platform-admin', async () => {
    await expect(create('acme', { role: 'platform-admin' })).rejects.toThrow(ApiKeyRequestError)
    await expect(create('acme', { role: 'platform-admin' })).rejects.toThrow(/platform-admin is only for platform keys/)
    await expect(create(PLATFORM_TENANT, { role: 'tenant-admin' })).rejects.toThrow(/must have role platform-admin/)
    expect(await t.db.owner.query('SELECT id FROM api_keys')).toEqual([])
  })

  it('refuses unknown roles, empty names and past expiries', async () => {
    await expect(create('acme', { role: 'root' as never })).rejects.toThrow(/unknown role/)
    await expect(create('acme', { name: '  ' })).rejects.toThrow(/needs a name/)
    await expect(create('acme', { expiresAt: new Date(now) })).rejects.toThrow(/in the future/)
  })
})
