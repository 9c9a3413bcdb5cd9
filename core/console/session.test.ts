import type { Context } from 'koa'
import { SignJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { engines, type TestDatabase } from '../../test/databases.js'
import { ManualClock } from '../../test/kit/support.js'
import { ApiKeyStore } from '../admin/auth/api-keys.js'
import { authenticate } from '../admin/http/authenticate.js'
import { ConsoleSessions, SESSION_SECONDS, type AgentPrincipal } from './session.js'

const secret = new TextEncoder().encode('a session secret of at least thirty-two bytes')
const bearer = (token: string) => ({ get: (name: string) => (name === 'authorization' ? `Bearer ${token}` : '') }) as unknown as Context

describe.each(engines)('console sessions on %s', (_name, open) => {
  let t: TestDatabase
  let clock: ManualClock
  let keys: ApiKeyStore
  let sessions: ConsoleSessions
  let alice: AgentPrincipal

  beforeEach(async () => {
    t = await open()
    clock = new ManualClock()
    keys = new ApiKeyStore(t.db, clock)
    sessions = new ConsoleSessions(secret, keys, clock)
    const { record } = await keys.create('acme', { name: 'Alice', role: 'agent', createdBy: 'u-admin' })
    alice = { kind: 'key', id: record.id, name: 'Alice', tenant: 'acme', roles: ['agent'] }
  })
  afterEach(async () => {
    await t.drop()
  })

  it('gives an agent a session for a working day that names them, their tenant and their roles', async () => {
    const { token, expiresAt } = await sessions.issue(alice)
    expect(token).toMatch(/^sbc_/)
    expect(expiresAt.getTime()).toBe(clock.now() + SESSION_SECONDS * 1000)
    expect(await sessions.verify(token)).toEqual({ ok: true, principal: alice, expiresAt })
  })

  it('is accepted by the admin API as the agent who signed in', async () => {
    const { token } = await sessions.issue(alice)
    expect(await authenticate(bearer(token), keys, undefined, sessions)).toEqual({ ok: true, principal: alice })
    // A router that was not given the sessions refuses them rather than guessing.
    expect(await authenticate(bearer(token), keys, undefined)).toMatchObject({ ok: false, code: 'SB_ERR_AUTH_INVALID' })
  })

  it('ends after eight hours', async () => {
    const { token } = await sessions.issue(alice)
    clock.advance(SESSION_SECONDS * 1000 + 1000)
    expect(await sessions.verify(token)).toEqual({ ok: false, reason: 'expired' })
    expect(await authenticate(bearer(token), keys, undefined, sessions)).toMatchObject({ ok: false, code: 'SB_ERR_AUTH_EXPIRED' })
  })

  it('stops working within thirty seconds of its key being revoked', async () => {
    const { token } = await sessions.issue(alice)
    expect((await sessions.verify(token)).ok).toBe(true)
    await keys.revoke('acme', alice.id)
    clock.advance(31_000)
    expect(await sessions.verify(token)).toEqual({ ok: false, reason: 'revoked' })
  })

  it('stops working when its key expires', async () => {
    const { record } = await keys.create('acme', { name: 'Temp', role: 'agent', createdBy: 'u-admin', expiresAt: new Date(clock.now() + 3_600_000) })
    const { token } = await sessions.issue({ kind: 'key', id: record.id, name: 'Temp', tenant: 'acme', roles: ['agent'] })
    clock.advance(3_600_000)
    expect(await sessions.verify(token)).toEqual({ ok: false, reason: 'revoked' })
  })

  it('refuses a session signed with another secret, a web-chat token, or a forged role', async () => {
    const other = new ConsoleSessions(new TextEncoder().encode('another secret, also thirty-two bytes long'), keys, clock)
    expect(await sessions.verify((await other.issue(alice)).token)).toEqual({ ok: false, reason: 'invalid' })

    const now = Math.floor(clock.now() / 1000)
    const sign = (claims: Record<string, unknown>, audience: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(alice.id).setIssuer('switchboard').setAudience(audience).setIssuedAt(now).setExpirationTime(now + 60).sign(secret)
    expect(await sessions.verify(`sbc_${await sign({ cid: 'c1' }, 'webchat:acme')}`)).toEqual({ ok: false, reason: 'invalid' })
    expect(await sessions.verify(`sbc_${await sign({ tenant: 'acme', kind: 'key', roles: ['overlord'] }, 'switchboard-console')}`)).toEqual({ ok: false, reason: 'invalid' })
    expect(await sessions.verify('sbc_not-a-token')).toEqual({ ok: false, reason: 'invalid' })
  })

  it('trusts an identity provider’s user for the session’s own lifetime', async () => {
    const carol: AgentPrincipal = { kind: 'user', id: 'carol@acme.example', tenant: 'acme', roles: ['agent'] }
    const { token } = await sessions.issue(carol)
    expect(await sessions.verify(token)).toMatchObject({ ok: true, principal: carol })
  })
})
