import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import type { ChannelPlugin } from '../../../core/index.js'
import { loadTenantFile } from '../../../core/config/load.js'
import { PluginRegistry } from '../../../core/plugin/registry.js'
import wechat from '../index.js'
import { WechatyConfig } from './config.js'

/** A tenant file with one wechaty channel, validated as the gateway validates it. */
const load = (config: Record<string, unknown>, env: Record<string, string> = {}) =>
  loadTenantFile({
    dir: '/nonexistent',
    file: 'tenants/shop.yaml',
    registry: new PluginRegistry({ channels: [wechat as unknown as ChannelPlugin] }),
    env,
    text: stringify({ id: 'shop', channels: [{ id: 'wx', type: 'wechat', config: { transport: 'wechaty', ...config } }], plugins: [] }),
  })

describe('wechaty channel config', () => {
  it('needs only the puppet; rooms answer @-mentions, sends keep a gentle pace', () => {
    expect(WechatyConfig.parse({ transport: 'wechaty', puppet: 'wechaty-puppet-mock' })).toEqual({
      transport: 'wechaty',
      puppet: 'wechaty-puppet-mock',
      puppetOptions: {},
      rooms: 'mentioned',
      limits: { chat: { points: 1, seconds: 1 }, room: { points: 20, seconds: 60 }, account: { points: 60, seconds: 60 } },
      receiveRetry: { attempts: 6, minDelayMs: 250, maxDelayMs: 10_000 },
      heartbeatTimeoutSeconds: 180,
    })
  })

  it('tells the operator, at the tenant file and path, that a puppet package is not installed', async () => {
    const { problems } = await load({ puppet: 'wechaty-puppet-official-account' })
    expect(problems).toEqual([
      {
        file: 'tenants/shop.yaml',
        path: 'channels[0].config.puppet',
        message: 'puppet package "wechaty-puppet-official-account" is not installed; the gateway never downloads one: run npm install wechaty-puppet-official-account where it runs',
      },
    ])
  })

  it.each(['./evil.js', '/tmp/puppet.mjs', 'https://example.com/p.js', 'node:child_process', 'child_process', 'pg', 'wechaty-puppet-mock/dist/esm/src/mod.js', 'Wechaty-Puppet-Mock'])(
    'refuses %s: only a puppet package name is ever imported',
    async (puppet) => {
      const { problems } = await load({ puppet })
      expect(problems.map((p) => [p.path, p.message])).toContainEqual(['channels[0].config.puppet', 'a puppet is the npm package name of a Wechaty puppet, e.g. wechaty-puppet-service'])
    },
  )

  it('takes the token as a secret (resolved from the environment, redacted for display), never inside puppetOptions', async () => {
    const { tenant, problems } = await load({ puppet: 'wechaty-puppet-service', puppetToken: '${env:WX_TOKEN}', puppetOptions: { endpoint: '127.0.0.1:8788', tls: { disable: true } } }, { WX_TOKEN: 'puppet_workpro_5ecret' })
    expect(problems).toEqual([])
    expect(tenant?.channels[0]?.config).toMatchObject({ puppetToken: 'puppet_workpro_5ecret', puppetOptions: { endpoint: '127.0.0.1:8788' } })
    expect(JSON.stringify(tenant?.display)).not.toContain('5ecret')

    const inline = await load({ puppet: 'wechaty-puppet-service', puppetOptions: { token: 'puppet_workpro_5ecret' } })
    expect(inline.problems.map((p) => [p.path, p.message])).toEqual([['channels[0].config.puppetOptions', 'put the token in puppetToken (a secret), not in puppetOptions']])
  })

  it('accepts scoped puppet packages by name', () => {
    const parsed = WechatyConfig.safeParse({ transport: 'wechaty', puppet: '@juzibot/wechaty-puppet-donut' })
    // Well-formed, so the only complaint can be that it is not installed here.
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([expect.stringContaining('is not installed')])
  })
})
