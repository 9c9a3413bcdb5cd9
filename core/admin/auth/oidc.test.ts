import { UnsecuredJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeOidcIssuer } from '../../../test/fakes/oidc-issuer.js'
import { looksLikeJwt, OidcUnavailableError, OidcVerifier } from './oidc.js'

describe('OidcVerifier', () => {
  let idp: FakeOidcIssuer
  let verifier: OidcVerifier

  beforeEach(async () => {
    idp = await FakeOidcIssuer.start({ audience: 'switchboard-admin' })
    verifier = new OidcVerifier({ issuer: idp.issuer, audience: 'switchboard-admin', jwksUri: idp.jwksUri })
  })
  afterEach(async () => {
    vi.useRealTimers()
    await idp.close()
  })

  const alice = { sub: 'u-alice', name: 'Alice', email: 'alice@acme.test', switchboard_tenant: 'acme', switchboard_roles: ['agent'] }

  it('maps a valid token to a principal', async () => {
    expect(await verifier.verify(await idp.sign(alice))).toEqual({
      ok: true,
      principal: { kind: 'user', id: 'u-alice', name: 'Alice', tenant: 'acme', roles: ['agent'] },
    })
  })

  it('names the user by email without a name, and reads space-separated roles', async () => {
    const result = await verifier.verify(await idp.sign({ ...alice, name: undefined, switchboard_roles: 'viewer auditor' }))
    expect(result).toMatchObject({ ok: true, principal: { name: 'alice@acme.test', roles: ['viewer', 'auditor'] } })
  })

  it('drops roles it does not know', async () => {
    const result = await verifier.verify(await idp.sign({ ...alice, switchboard_roles: ['superuser', 'agent', 'grafana-editor', 'agent'] }))
    expect(result).toMatchObject({ ok: true, principal: { roles: ['agent'] } })
  })

  it('reads configured claim names', async () => {
    const custom = new OidcVerifier({ issuer: idp.issuer, audience: 'switchboard-admin', jwksUri: idp.jwksUri, tenantClaim: 'org', rolesClaim: 'groups' })
    const result = await custom.verify(await idp.sign({ sub: 'u-bob', org: 'globex', groups: ['tenant-admin'] }))
    expect(result).toMatchObject({ ok: true, principal: { id: 'u-bob', tenant: 'globex', roles: ['tenant-admin'] } })
  })

  it('lets a platform-admin go without a tenant, platform-wide', async () => {
    const result = await verifier.verify(await idp.sign({ sub: 'u-root', switchboard_roles: ['platform-admin'] }))
    expect(result).toMatchObject({ ok: true, principal: { tenant: null, roles: ['platform-admin'] } })
  })

  it('refuses a token without a tenant unless platform-admin', async () => {
    const result = await verifier.verify(await idp.sign({ sub: 'u-alice', switchboard_roles: ['tenant-admin'] }))
    expect(result).toEqual({ ok: false, reason: 'invalid', message: 'token carries no tenant' })
  })

  it('refuses a tenant claim that is not a tenant id, or is the platform', async () => {
    for (const tenant of ['_platform', 'Acme Corp', 42, ['acme']]) {
      expect(await verifier.verify(await idp.sign({ ...alice, switchboard_tenant: tenant }))).toMatchObject({ ok: false, reason: 'invalid' })
    }
  })

  it('refuses an expired token', async () => {
    const result = await verifier.verify(await idp.sign(alice, { expiresIn: '-5m' }))
    expect(result).toMatchObject({ ok: false, reason: 'expired' })
  })

  it('tolerates a little clock skew', async () => {
    expect(await verifier.verify(await idp.sign(alice, { expiresIn: -10 }))).toMatchObject({ ok: true })
  })

  it('refuses a token without an expiry or a subject', async () => {
    expect(await verifier.verify(await idp.sign(alice, { expiresIn: null }))).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('"exp"') })
    expect(await verifier.verify(await idp.sign({ ...alice, sub: undefined }))).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('"sub"') })
  })

  it('refuses a token from another issuer', async () => {
    const result = await verifier.verify(await idp.sign(alice, { issuer: 'https://evil.test' }))
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('iss') })
  })

  it('refuses a token for another audience', async () => {
    const result = await verifier.verify(await idp.sign(alice, { audience: 'some-other-app' }))
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('aud') })
  })

  it('refuses a token signed by a stranger under the issuer’s kid', async () => {
    const result = await verifier.verify(await idp.sign(alice, { key: 'stranger' }))
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('signature') })
  })

  it('refuses an unsigned (alg none) token', async () => {
    const token = new UnsecuredJWT(alice).setIssuer(idp.issuer).setAudience('switchboard-admin').setIssuedAt().setExpirationTime('5m').encode()
    expect(looksLikeJwt(token)).toBe(true)
    expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('"alg"') })
  })

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await idp.sign(alice)).split('.')
    const payload = Buffer.from(JSON.stringify({ ...alice, switchboard_roles: ['tenant-admin'], iss: idp.issuer, aud: 'switchboard-admin', exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url')
    expect(await verifier.verify(`${header}.${payload}.${signature}`)).toMatchObject({ ok: false, reason: 'invalid' })
  })

  it('refuses garbage as malformed', async () => {
    for (const garbage of ['', 'sb_abcdefghij_xyz', 'a.b', 'not base64!.x.y', 'eyJub3QganNvbg.e30.c2ln']) {
      expect(await verifier.verify(garbage)).toMatchObject({ ok: false, reason: 'malformed' })
    }
  })

  it('caches the key set between tokens', async () => {
    for (let i = 0; i < 3; i++) expect(await verifier.verify(await idp.sign(alice))).toMatchObject({ ok: true })
    expect(idp.jwksRequests).toBe(1)
  })

  it('refetches the key set for a new kid after rotation', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const before = await idp.sign(alice)
    expect(await verifier.verify(before)).toMatchObject({ ok: true })
    const kid = await idp.rotate()
    const rotated = await idp.sign(alice)
    expect(rotated.split('.')[0]).toBe(Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url'))
    // Past the cooldown that keeps unknown kids from hammering the provider.
    vi.setSystemTime(Date.now() + 31_000)
    expect(await verifier.verify(await idp.sign(alice))).toMatchObject({ ok: true })
    expect(idp.jwksRequests).toBe(2)
    expect(await verifier.verify(await idp.sign(alice))).toMatchObject({ ok: true })
    expect(await verifier.verify(before)).toMatchObject({ ok: true })
    expect(idp.jwksRequests).toBe(2)
  })

  it('does not refetch the key set for unknown kids within the cooldown', async () => {
    expect(await verifier.verify(await idp.sign(alice))).toMatchObject({ ok: true })
    for (let i = 0; i < 3; i++) {
      expect(await verifier.verify(await idp.sign(alice, { kid: `forged-${i}`, key: 'stranger' }))).toMatchObject({ ok: false, reason: 'invalid' })
    }
    expect(idp.jwksRequests).toBe(1)
  })

  it('throws rather than blaming the token when the provider is unreachable', async () => {
    const token = await idp.sign(alice)
    await idp.close()
    await expect(verifier.verify(token)).rejects.toThrow(OidcUnavailableError)
    idp = await FakeOidcIssuer.start()
  })

  it('refuses symmetric and unsigned algorithms in its configuration', () => {
    for (const algorithms of [['HS256'], ['RS256', 'none'], []]) {
      expect(() => new OidcVerifier({ issuer: idp.issuer, audience: 'a', jwksUri: idp.jwksUri, algorithms })).toThrow(/asymmetric/)
    }
  })
})

describe('looksLikeJwt', () => {
  it.each([
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl', true],
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', true],
    ['sb_abcdefghij_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
    ['a.b', false],
    ['a.b.c.d', false],
    ['a b.c.d', false],
  ])('%s → %s', (s, expected) => {
    expect(looksLikeJwt(s)).toBe(expected)
  })
})
