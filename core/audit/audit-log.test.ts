import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, type TestDatabase } from '../../test/databases.js'
import { PLATFORM_TENANT } from '../store/database.js'
import { AuditLog } from './audit-log.js'
import { canonicalJson, entryHash } from './chain.js'
import type { AuditEntry, AuditInput } from './entry.js'

describe('the canonical form an entry is hashed in', () => {
  it('does not depend on key order, at any depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }))
    expect(canonicalJson({ at: new Date(0), skipped: undefined })).toBe('{"at":"1970-01-01T00:00:00.000Z"}')
  })
})

describe.each(engines)('the audit log on %s', (_name, open) => {
  let t: TestDatabase
  let audit: AuditLog
  let now = Date.parse('2030-01-01T00:00:00Z')
  const clock = { now: () => now }
  let tenants = 0
  /** Each test appends to chains of its own; the database is shared to keep the suite fast. */
  const fresh = (name: string) => `${name}-${++tenants}`

  beforeAll(async () => {
    t = await open()
    audit = new AuditLog(t.db, clock)
  })
  afterAll(async () => {
    await audit?.flush()
    await t?.drop()
  })

  const event = (tenant: string | undefined, overrides: Partial<AuditInput> = {}): AuditInput => ({
    tenant,
    actor: { type: 'key', id: 'key_admin' },
    action: 'key.create',
    target: 'key_new',
    outcome: 'success',
    requestId: 'req-1',
    source: '203.0.113.7',
    details: { role: 'admin', zeta: 1, a: { nested: true, b: [1, 'two'] } },
    ...overrides,
  })
  const seqs = (entries: AuditEntry[]) => entries.map((e) => e.seq)
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

  it('appends concurrent callers from several replicas to one contiguous chain per tenant', async () => {
    const [acme, globex] = [fresh('acme'), fresh('globex')]
    const replicas = [audit, new AuditLog(t.db, clock), new AuditLog(t.db, clock)]
    // Spread over a few ticks, so each replica writes several batches that race the others'.
    const written = await Promise.all(
      range(50).map(async (i) => {
        for (let tick = 0; tick < i % 4; tick++) await new Promise(setImmediate)
        return replicas[i % 3]!.record(event(i % 2 ? acme : globex, { target: `t${i}` }))
      }),
    )
    for (const tenant of [acme, globex]) {
      expect(seqs(await audit.query(tenant))).toEqual(range(25))
      expect(await audit.verify(tenant)).toEqual({ tenant, ok: true, entries: 25 })
    }
    // Each caller gets its own entry back, as stored.
    expect(new Set(written.map((e) => e.id)).size).toBe(50)
    const stored = await audit.query(acme)
    expect(stored).toContainEqual(written.find((e) => e.tenant === acme && e.target === 't1'))
  })

  it('resolves record only once the entry is committed', async () => {
    const tenant = fresh('acme')
    const entry = await audit.record(event(tenant))
    const [row] = await t.db.tenant(tenant).query<{ id: string }>('SELECT id FROM audit_log WHERE id = $1', [entry.id])
    expect(row?.id).toBe(entry.id)
    expect(await audit.query(tenant)).toEqual([entry])
  })

  it('puts entries without a tenant on the platform chain', async () => {
    const entry = await audit.record(event(undefined, { actor: { type: 'system', id: 'gateway' }, action: 'config.reload' }))
    expect(entry.tenant).toBe(PLATFORM_TENANT)
    expect((await audit.verify(PLATFORM_TENANT)).ok).toBe(true)
  })

  it('refuses to change or remove entries, for the application and for the table owner alike', async () => {
    const tenant = fresh('acme')
    await audit.record(event(tenant))
    for (const statement of ["UPDATE audit_log SET action = 'forged'", 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
      // The application role lacks the privilege; the owner has it but meets the trigger.
      await expect(t.db.withTenant(tenant, (tx) => tx.query(statement))).rejects.toThrow(/permission denied|append-only/)
      await expect(t.db.owner.query(statement)).rejects.toThrow(/append-only/)
    }
    expect(await audit.verify(tenant)).toEqual({ tenant, ok: true, entries: 1 })
  })

  describe('when someone tampers underneath the application', () => {
    /** What an owner who switched the triggers off could do. */
    const tamper = async (statement: string, params: unknown[]) => {
      await t.db.owner.exec('ALTER TABLE audit_log DISABLE TRIGGER USER')
      try {
        await t.db.owner.query(statement, params)
      } finally {
        await t.db.owner.exec('ALTER TABLE audit_log ENABLE TRIGGER USER')
      }
    }
    const chainOf = async (n: number) => {
      const tenant = fresh('acme')
      for (const i of range(n)) await audit.record(event(tenant, { target: `t${i}` }))
      return tenant
    }

    it('names the altered row', async () => {
      const tenant = await chainOf(5)
      await tamper(`UPDATE audit_log SET details = details || '{"role": "viewer"}' WHERE tenant_id = $1 AND seq = 3`, [tenant])
      expect(await audit.verify(tenant)).toEqual({ tenant, ok: false, entries: 5, firstBroken: { seq: 3, reason: 'hash mismatch: row altered' } })
    })

    it('names the row after one altered and re-hashed, whose link no longer holds', async () => {
      const tenant = await chainOf(5)
      const [third] = await audit.query(tenant, { afterSeq: 2, limit: 1 })
      const forged = { ...third!, action: 'key.revoke' }
      await tamper(`UPDATE audit_log SET action = $3, hash = $4 WHERE tenant_id = $1 AND seq = $2`, [tenant, 3, forged.action, entryHash(forged.prevHash, forged)])
      expect((await audit.verify(tenant)).firstBroken).toEqual({ seq: 4, reason: 'prev_hash does not match the previous entry' })
    })

    it('names the gap a deleted row leaves', async () => {
      const tenant = await chainOf(5)
      await tamper('DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 2', [tenant])
      expect(await audit.verify(tenant)).toEqual({ tenant, ok: false, entries: 4, firstBroken: { seq: 3, reason: 'seq gap: rows missing before seq 3' } })
    })
  })

  it("keeps each tenant's entries to itself, and lists every audited tenant", async () => {
    const [acme, globex] = [fresh('acme'), fresh('globex')]
    await audit.record(event(acme, { actor: { type: 'user', id: 'alice' } }))
    await audit.record(event(globex, { actor: { type: 'user', id: 'bob' } }))
    expect((await audit.query(acme)).map((e) => e.actor.id)).toEqual(['alice'])
    expect(await audit.query(acme, { actorId: 'bob' })).toEqual([])
    const exported: AuditEntry[] = []
    for await (const entry of audit.export(acme)) exported.push(entry)
    expect(exported.map((e) => e.actor.id)).toEqual(['alice'])
    expect(await audit.tenants()).toEqual(expect.arrayContaining([acme, globex]))
  })

  it('filters by time, action, actor, target and outcome', async () => {
    const tenant = fresh('acme')
    const start = now
    await audit.record(event(tenant, { action: 'auth.denied', outcome: 'denied', actor: { type: 'key', id: 'key_x' } }))
    now += 1000
    await audit.record(event(tenant, { action: 'key.create', target: 'key_2' }))
    now += 1000
    await audit.record(event(tenant, { action: 'tenant.reload', outcome: 'failure' }))
    expect(seqs(await audit.query(tenant, { from: new Date(start + 1000) }))).toEqual([2, 3])
    expect(seqs(await audit.query(tenant, { to: new Date(start + 1000) }))).toEqual([1])
    expect(seqs(await audit.query(tenant, { action: 'key.create' }))).toEqual([2])
    expect(seqs(await audit.query(tenant, { actorId: 'key_x' }))).toEqual([1])
    expect(seqs(await audit.query(tenant, { target: 'key_2' }))).toEqual([2])
    expect(seqs(await audit.query(tenant, { outcome: 'failure' }))).toEqual([3])
    expect(seqs(await audit.query(tenant, { afterSeq: 1, limit: 1 }))).toEqual([2])
  })

  it('treats hostile filter strings as plain values', async () => {
    const tenant = fresh('acme')
    await audit.record(event(tenant))
    for (const hostile of ["' OR 1=1 --", '{"$gt":""}', "'; DROP TABLE audit_log; --", 'nul\u0000byte']) {
      const filters = [{ action: hostile }, { actorId: hostile }, { target: hostile }, { outcome: hostile as never }]
      for (const filter of filters) expect(await audit.query(tenant, filter)).toEqual([])
    }
    await expect(audit.query("acme' OR 1=1 --")).rejects.toThrow(/not a tenant id/)
    expect(await audit.verify(tenant)).toMatchObject({ ok: true, entries: 1 })
  })

  it('stores hostile input it is asked to record, and still verifies', async () => {
    const tenant = fresh('acme')
    const entry = await audit.record(
      event(tenant, { action: 'auth.denied', outcome: 'denied', target: "/admin/' OR 1=1 --\u0000", details: { ['__proto__']: 1, lone: '\ud800', when: new Date(0), gone: undefined } }),
    )
    expect(entry.details).toEqual({ ['__proto__']: 1, lone: '\ufffd', when: '1970-01-01T00:00:00.000Z' })
    expect(await audit.query(tenant)).toEqual([entry])
    expect((await audit.verify(tenant)).ok).toBe(true)
  })

  it('exports and verifies a chain longer than a page', async () => {
    const tenant = fresh('acme')
    await Promise.all(range(2100).map((i) => audit.record(event(tenant, { action: i % 2 ? 'auth.denied' : 'key.create' }))))
    const exported: number[] = []
    for await (const entry of audit.export(tenant, { action: 'auth.denied' })) exported.push(entry.seq)
    expect(exported).toEqual(range(1050).map((i) => 2 * i - 1))
    expect(await audit.verify(tenant)).toEqual({ tenant, ok: true, entries: 2100 })
  })

  it('throttles noisy events and counts the ones it held back into the next entry', async () => {
    const tenant = fresh('acme')
    const failure = (n: number) => event(tenant, { actor: { type: 'channel', id: 'slack' }, action: 'auth.denied', outcome: 'denied', details: { n } })
    const sent = range(10).map((n) => audit.recordThrottled('slack-signature', failure(n), 3))
    expect(sent).toEqual([true, true, true, false, false, false, false, false, false, false])
    now += 60_000
    expect(audit.recordThrottled('slack-signature', failure(11), 3)).toBe(true)
    // Within the new minute: two more fit, three are held back until shutdown writes the last with the count of the others.
    expect(range(5).map((n) => audit.recordThrottled('slack-signature', failure(11 + n), 3))).toEqual([true, true, false, false, false])
    await audit.flush()
    expect((await audit.query(tenant)).map((e) => e.details)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 11, suppressed: 7 }, { n: 12 }, { n: 13 }, { n: 16, suppressed: 2 }])
  })

  it('never throws from recordLater', async () => {
    const errors: unknown[] = []
    expect(() => audit.recordLater(event('Not A Tenant'), (error) => errors.push(error))).not.toThrow()
    await audit.flush()
    expect(errors).toHaveLength(1)
  })
})
