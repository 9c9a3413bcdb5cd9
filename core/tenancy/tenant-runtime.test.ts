import 'reflect-metadata'
import pino from 'pino'
import { container } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { GatewayConfig } from '../config/gateway-schema.js'
import type { ResolvedTenant } from '../config/load.js'
import { Scope } from '../di/scope.js'
import { Tokens } from '../di/tokens.js'
import { RouteTable } from '../gateway/route-table.js'
import { Metrics } from '../observability/metrics.js'
import { defineAgent } from '../plugin/agent.js'
import { defineChannel, type ChannelPlugin } from '../plugin/channel.js'
import type { AgentPlugin } from '../plugin/agent.js'
import { startTenant } from './tenant-runtime.js'

/** A root container with just what a tenant runtime resolves. */
function rootContainer() {
  const root = container.createChildContainer()
  root.register(Tokens.RootScope, { useValue: new Scope('gateway') })
  root.register(Tokens.GatewayConfig, { useValue: GatewayConfig.parse({}) })
  root.register(Tokens.Logger, { useValue: pino({ level: 'silent' }) })
  root.register(Tokens.Metrics, { useValue: new Metrics({ defaultMetrics: false }) })
  root.register(Tokens.Delivery, { useValue: { receive: async () => ({}), closing: false } as never })
  root.register(Tokens.Conversations, { useValue: {} as never })
  root.register(Tokens.Transcript, { useValue: {} as never })
  return root
}

const acme = (channels: ResolvedTenant['channels'], plugins: ResolvedTenant['plugins']): ResolvedTenant => ({
  id: 'acme',
  name: 'Acme',
  locale: 'en',
  file: 'tenants/acme.yaml',
  display: {},
  channels,
  plugins,
})

describe('a tenant runtime', () => {
  it('starts plugins in config order in their own containers and leaves nothing behind when stopped', async () => {
    const events: string[] = []
    const channel = defineChannel({
      manifest: { kind: 'channel', id: 'fake', label: 'Fake', version: '1', config: z.object({ hello: z.string() }), capabilities: { parts: ['text'] } },
      async start(ctx) {
        events.push(`channel ${ctx.instance} ${ctx.config.hello} ${ctx.container.resolve(Tokens.ChannelInstance)} ${ctx.container.resolve(Tokens.TenantId)}`)
        ctx.http.route('POST', '/webhook', async (koa) => void (koa.body = 'ok'))
        const timer = setInterval(() => {}, 1000)
        ctx.scope.onDispose(() => {
          clearInterval(timer)
          events.push(`undo channel ${ctx.instance}`)
        })
        return { send: async () => ({ status: 'sent' }) }
      },
    }) as unknown as ChannelPlugin
    const agent = (id: string) =>
      defineAgent({
        manifest: { kind: 'agent', id, label: id, version: '1', config: z.object({}), stages: ['inbound'] },
        setup(ctx) {
          events.push(`setup ${ctx.id}`)
          ctx.scope.onDispose(() => void events.push(`undo ${ctx.id}`))
          return { inbound: async (turn, next) => ((turn.annotations[id] = true), next()) }
        },
      }) as unknown as AgentPlugin
    const tenant = acme(
      [
        { id: 'one', type: 'fake', enabled: true, config: { hello: 'hi' }, plugin: channel },
        { id: 'off', type: 'fake', enabled: false, config: { hello: 'no' }, plugin: channel },
      ],
      [
        { id: 'first', type: 'first', enabled: true, config: {}, plugin: agent('first') },
        { id: 'second', type: 'second', enabled: true, config: {}, plugin: agent('second') },
      ],
    )
    const routes = new RouteTable()
    const runtime = await startTenant(rootContainer(), tenant, routes)
    expect(events).toEqual(['setup first', 'setup second', 'channel one hi one acme'])
    expect(routes.match('POST', 'acme', 'one', '/webhook')).toBeDefined()
    expect(runtime.channel('off')).toBeUndefined()
    expect(runtime.pipeline.hooks.map((h) => h.id)).toEqual(['first', 'second'])

    await runtime.stop()
    expect(events.slice(3)).toEqual(['undo channel one', 'undo second', 'undo first'])
    expect(routes.match('POST', 'acme', 'one', '/webhook')).toBeUndefined()
    expect(runtime.scope.size).toBe(0)
  })

  it('undoes what already started when a plugin fails to start', async () => {
    const undone: string[] = []
    const good = defineAgent({
      manifest: { kind: 'agent', id: 'good', label: 'good', version: '1', config: z.object({}), stages: [] },
      setup: (ctx) => (ctx.scope.onDispose(() => void undone.push('good')), {}),
    }) as unknown as AgentPlugin
    const bad = defineChannel({
      manifest: { kind: 'channel', id: 'bad', label: 'bad', version: '1', config: z.object({}), capabilities: { parts: ['text'] } },
      start: async () => {
        throw new Error('port in use')
      },
    }) as unknown as ChannelPlugin
    const tenant = acme([{ id: 'b', type: 'bad', enabled: true, config: {}, plugin: bad }], [{ id: 'good', type: 'good', enabled: true, config: {}, plugin: good }])
    await expect(startTenant(rootContainer(), tenant, new RouteTable())).rejects.toMatchObject({
      code: 'SB_ERR_PLUGIN_START_FAILED',
      message: 'bad "b" failed to start: port in use',
    })
    expect(undone).toEqual(['good'])
  })
})
