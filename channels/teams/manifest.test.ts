import { describe, expect, it } from 'vitest'
import { TeamsConfig, tokenEndpoint } from './manifest.js'

describe('Teams channel config', () => {
  it('needs only the app id and secret; the rest has documented defaults', () => {
    const config = TeamsConfig.parse({ appId: 'app-1', appPassword: 's3cret' })
    expect(config).toMatchObject({
      openIdMetadataUrl: 'https://login.botframework.com/v1/.well-known/openidconfiguration',
      serviceUrls: ['https://smba.trafficmanager.net/', 'https://smba.infra.gcc.teams.microsoft.com/'],
      limits: { perThread: [{ points: 7, seconds: 1 }, { points: 8, seconds: 2 }, { points: 60, seconds: 30 }, { points: 1800, seconds: 3600 }], perApp: [{ points: 50, seconds: 1 }] },
      maxBodyBytes: 1_048_576,
      maxMessageBytes: 40_000,
      typingIntervalMs: 3000,
    })
    expect(tokenEndpoint(config)).toBe('https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token')
    expect(tokenEndpoint({ ...config, appTenantId: 'contoso.onmicrosoft.com' })).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token')
  })

  it.each([
    [{ appPassword: 's' }, 'appId'],
    [{ appId: '  ', appPassword: 's' }, 'appId'],
    [{ appId: 'a', appPassword: '' }, 'appPassword'],
    // There is no way to switch token validation off.
    [{ appId: 'a', appPassword: 's', validateTokens: false }, ''],
    [{ appId: 'a', appPassword: 's', serviceUrls: [] }, 'serviceUrls'],
    [{ appId: 'a', appPassword: 's', typingIntervalMs: 500 }, 'typingIntervalMs'],
    [{ appId: 'a', appPassword: 's', retry: { minDelayMs: 5000, maxDelayMs: 1000 } }, 'retry.maxDelayMs'],
  ])('refuses %j', (input, path) => {
    const result = TeamsConfig.safeParse(input)
    expect(result.success).toBe(false)
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path)
  })
})
