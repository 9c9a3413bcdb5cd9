import { ConfigurationBotFrameworkAuthentication } from 'botbuilder'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startFakeBotFramework, type ChannelTokenOptions, type FakeBotFramework } from '../../test/fakes/bot-framework.js'
import { TeamsAuth } from './client.js'
import { KeepAliveHttp } from '../../core/index.js'
import { WireActivity } from './inbound.js'
import { SigningKeys } from './signing-keys.js'

/**
 * The auth mapping: every way a token can be wrong, against the fake channel's real keys and
 * botbuilder's real validation, and the status each one gets.
 */
describe('who may post activities: the JWT check', () => {
  let fake: FakeBotFramework
  let http: KeepAliveHttp
  let auth: TeamsAuth

  beforeAll(async () => {
    fake = await startFakeBotFramework({ throttling: false })
    http = new KeepAliveHttp({ timeoutMs: 5000 })
    auth = new TeamsAuth({ appId: fake.appId, openIdMetadataUrl: fake.openIdMetadataUrl, timeoutMs: 5000 }, new SigningKeys(fake.openIdMetadataUrl, http))
    // botbuilder reports every refused signature or expiry on stderr; the verdicts are what count here.
    vi.spyOn(console, 'error').mockImplementation(() => {})
  })
  afterAll(async () => {
    vi.restoreAllMocks()
    http?.destroy()
    await fake?.close()
  })

  const activity = (overrides: Record<string, unknown> = {}) => WireActivity.parse({ ...fake.activities.message({ text: 'hi' }), ...overrides })
  const withToken = async (options: ChannelTokenOptions = {}, overrides: Record<string, unknown> = {}) =>
    auth.verify(activity(overrides), `Bearer ${await fake.channelToken(options)}`)

  it('accepts a token the channel signed for this bot and this serviceUrl', async () => {
    expect(await withToken()).toEqual({ ok: true })
  })

  it('validates a token in full once, and again for any other serviceUrl', async () => {
    const validations = vi.spyOn(ConfigurationBotFrameworkAuthentication.prototype, 'authenticateRequest')
    const token = `Bearer ${await fake.channelToken({ expiresIn: 1234 })}`
    for (let i = 0; i < 3; i++) expect(await auth.verify(activity(), token)).toEqual({ ok: true })
    expect(validations).toHaveBeenCalledTimes(1)
    expect(await auth.verify(activity({ serviceUrl: 'https://smba.trafficmanager.net/evil/' }), token)).toMatchObject({ ok: false, status: 401 })
    expect(validations).toHaveBeenCalledTimes(2)
    validations.mockRestore()
  })

  it('accepts a token that expired less than five minutes ago (clock skew)', async () => {
    expect(await withToken({ expiresIn: -120 })).toEqual({ ok: true })
  })

  it.each<[string, ChannelTokenOptions, Record<string, unknown>, 401 | 403, RegExp]>([
    ['alg none', { alg: 'none' }, {}, 401, /algorithm "none"/],
    ['HS256 signed with the public key', { alg: 'HS256' }, {}, 401, /algorithm "HS256"/],
    ['a key never published, under a published kid', { key: 'stranger' }, {}, 401, /invalid signature/],
    ['expired beyond the five minutes of skew', { expiresIn: -600 }, {}, 401, /expired/],
    ['not valid for another ten minutes', { notBefore: 600, expiresIn: 3600 }, {}, 401, /not active/],
    ['another bot’s audience', { aud: '00000000-0000-0000-0000-000000000000' }, {}, 401, /Invalid AppId/],
    ['another issuer (an emulator-style token)', { iss: 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/' }, {}, 401, /issuer/],
    ['a serviceurl claim that is not the activity’s', { serviceUrl: 'https://smba.trafficmanager.net/evil/' }, {}, 401, /ServiceUrl claim/],
    ['a key the channel did not endorse for Teams', { unendorsed: true }, {}, 403, /not endorsed for msteams/],
    ['an activity claiming another channel', {}, { channelId: 'webchat' }, 403, /not msteams/],
  ])('refuses %s', async (_name, options, overrides, status, reason) => {
    const verdict = await withToken(options, overrides)
    expect(verdict).toMatchObject({ ok: false, status })
    expect(verdict.ok === false && verdict.reason).toMatch(reason)
  })

  it.each([
    [undefined, /no Authorization header/],
    ['Basic dXNlcjpwYXNz', /not a Bearer token/],
    ['Bearer', /not a Bearer token/],
    ['Bearer not-a-jwt', /not a JWT/],
  ])('refuses the Authorization header %j with 401', async (header, reason) => {
    const verdict = await auth.verify(activity(), header)
    expect(verdict).toMatchObject({ ok: false, status: 401 })
    expect(verdict.ok === false && verdict.reason).toMatch(reason)
  })

  it('refetches the keys once for an unknown kid, then refuses it without asking again', async () => {
    await withToken()
    const before = fake.counts.jwksFetches
    const first = await withToken({ kid: 'never-published-1' })
    const second = await withToken({ kid: 'never-published-2' })
    expect(first).toMatchObject({ ok: false, status: 401 })
    expect(second).toMatchObject({ ok: false, status: 401 })
    expect(fake.counts.jwksFetches - before).toBe(1)
  })

  it('accepts tokens from a key published after the keys were cached (rotation)', async () => {
    const isolated = new TeamsAuth({ appId: fake.appId, openIdMetadataUrl: fake.openIdMetadataUrl, timeoutMs: 5000 }, new SigningKeys(fake.openIdMetadataUrl, http))
    expect(await isolated.verify(activity(), `Bearer ${await fake.channelToken()}`)).toEqual({ ok: true })
    await fake.rotateKey()
    expect(await isolated.verify(activity(), `Bearer ${await fake.channelToken()}`)).toEqual({ ok: true })
  })

  it('answers 503 (Teams retries) while the signing keys cannot be fetched, rather than refusing a genuine message', async () => {
    const nowhere = 'http://127.0.0.1:9/v1/.well-known/openidconfiguration'
    const offline = new TeamsAuth({ appId: fake.appId, openIdMetadataUrl: nowhere, timeoutMs: 2000 }, new SigningKeys(nowhere, http))
    expect(await offline.verify(activity(), `Bearer ${await fake.channelToken()}`)).toMatchObject({ ok: false, status: 503 })
  })
})
