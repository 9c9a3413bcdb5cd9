import { describe, expect, it } from 'vitest'
import { isSwitchboardError } from '../../../core/index.js'
import { createPuppet, type Puppet, type PuppetRequest } from './puppet.js'

const request = (puppet: string, options: Record<string, unknown> = {}): PuppetRequest => ({ tenant: 'shop', instance: 'wx', puppet, options })

describe('the puppet of a wechaty channel', () => {
  it('is imported by its package name and built with the configured options and token', async () => {
    const { PuppetMock } = await import('wechaty-puppet-mock')
    const puppet = await createPuppet(request('wechaty-puppet-mock', { token: 'puppet_mock_token', timeoutSeconds: 120 }))
    expect(puppet).toBeInstanceOf(PuppetMock)
    expect((puppet as InstanceType<typeof PuppetMock>).options).toEqual({ token: 'puppet_mock_token', timeoutSeconds: 120 })
  })

  it('comes from a registered provider instead, when there is one (how tests hand over a mock)', async () => {
    const { PuppetMock } = await import('wechaty-puppet-mock')
    const provided = new PuppetMock()
    const asked: PuppetRequest[] = []
    const puppet = await createPuppet(request('wechaty-puppet-service', { token: 't' }), (r) => (asked.push(r), provided as unknown as Puppet))
    expect(puppet).toBe(provided)
    expect(asked).toEqual([request('wechaty-puppet-service', { token: 't' })])
  })

  it('that cannot be loaded is a config error naming the channel and what to do', async () => {
    const error = await createPuppet(request('wechaty-puppet-not-installed')).catch((e: unknown) => e)
    expect(isSwitchboardError(error) && error.code).toBe('SB_ERR_CONFIG_INVALID')
    expect((error as Error).message).toMatch(/^wechat channel "wx": puppet package "wechaty-puppet-not-installed" could not be loaded \(.*\); install it next to the gateway$/)
    expect(isSwitchboardError(error) && error.details).toEqual([{ path: 'config.puppet', message: expect.stringContaining('could not be loaded') }])
  })

  it('that refuses its options (a puppet service without a token) is a config error', async () => {
    const saved = process.env.WECHATY_PUPPET_SERVICE_TOKEN
    delete process.env.WECHATY_PUPPET_SERVICE_TOKEN
    try {
      const error = await createPuppet(request('wechaty-puppet-service', { endpoint: '127.0.0.1:1' })).catch((e: unknown) => e)
      expect(isSwitchboardError(error) && error.code).toBe('SB_ERR_CONFIG_INVALID')
      expect((error as Error).message).toMatch(/^wechat channel "wx": puppet "wechaty-puppet-service" refused its options: .*TOKEN not found.*; check puppetToken and puppetOptions$/s)
    } finally {
      if (saved !== undefined) process.env.WECHATY_PUPPET_SERVICE_TOKEN = saved
    }
  })

  it('that is not a puppet (no default export to construct) is a config error too', async () => {
    // A real package with only named exports stands in for a mistyped puppet.
    const error = await createPuppet(request('wechaty-puppet')).catch((e: unknown) => e)
    expect(isSwitchboardError(error) && error.code).toBe('SB_ERR_CONFIG_INVALID')
    expect((error as Error).message).toBe('wechat channel "wx": "wechaty-puppet" is not a Wechaty puppet: it has no default export to construct')
  })
})
