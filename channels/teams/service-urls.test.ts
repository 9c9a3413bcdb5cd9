import { describe, expect, it } from 'vitest'
import { DEFAULT_SERVICE_URLS } from './manifest.js'
import { ServiceUrlAllowlist } from './service-urls.js'

describe('the serviceUrl allowlist (replies carry the bot token there)', () => {
  const allowlist = new ServiceUrlAllowlist(DEFAULT_SERVICE_URLS)

  it.each(['https://smba.trafficmanager.net/amer/', 'https://smba.trafficmanager.net/emea/', 'https://smba.trafficmanager.net/teams', 'https://SMBA.trafficmanager.net/apac/', 'https://smba.infra.gcc.teams.microsoft.com/teams/'])(
    'allows %s',
    (url) => expect(allowlist.allows(url)).toBe(true),
  )

  it.each([
    'http://smba.trafficmanager.net/amer/',
    'https://smba.trafficmanager.net.evil.com/amer/',
    'https://evil.com/smba.trafficmanager.net/',
    'https://smba.trafficmanager.net:8443/amer/',
    'https://user:pw@smba.trafficmanager.net/amer/',
    'https://smba.trafficmanager.net/amer/?redirect=https://evil.com',
    'http://169.254.169.254/latest/meta-data/',
    'not a url',
  ])('refuses %s', (url) => expect(allowlist.allows(url)).toBe(false))

  it('matches path prefixes on segment boundaries', () => {
    const narrow = new ServiceUrlAllowlist(['http://127.0.0.1:3978/amer'])
    expect(narrow.allows('http://127.0.0.1:3978/amer/')).toBe(true)
    expect(narrow.allows('http://127.0.0.1:3978/americas/')).toBe(false)
    expect(narrow.allows('http://127.0.0.1:3979/amer/')).toBe(false)
  })
})
