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
import { TenantLimits } from '../limits/tenant-limits.js'
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
  root.register(Tokens.Limits, { useValue: new TenantLimits() })
  root.register(Tokens.Audit, { useValue: { recordThrottled: () => true } as never })
  return root
}

const acme = (channels: ResolvedTenant['channels'], plugins: ResolvedTenant['plugins']): ResolvedTenant => ({
  id: 'acme',
  name: 'Acme',
  locale: 'en',
  dir: '/tmp/switchboard-test-config',
  file: 'tenants/acme.yaml',
  limits: {},
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

  describe('reloaded with a new configuration', () => {
    const started: string[] = []
    const stopped: string[] = []
    const channel = defineChannel({
      manifest: { kind: 'channel', id: 'fake', label: 'Fake', version: '1', config: z.object({ hello: z.string() }), capabilities: { parts: ['text'] } },
      async start(ctx) {
        if (ctx.config.hello === 'explode') throw new Error('cannot bind')
        started.push(`${ctx.instance}:${ctx.config.hello}`)
        ctx.http.route('GET', '/hello', async (koa) => void (koa.body = ctx.config.hello))
        ctx.scope.onDispose(() => void stopped.push(`${ctx.instance}:${ctx.config.hello}`))
        return { send: async () => ({ status: 'sent' }) }
      },
    }) as unknown as ChannelPlugin
    const agent = defineAgent({
      manifest: { kind: 'agent', id: 'say', label: 'say', version: '1', config: z.object({ word: z.string() }), stages: ['respond'] },
      setup(ctx) {
        if (ctx.config.word === 'explode') throw new Error('model missing')
        return { respond: async () => ({ parts: [{ type: 'text' as const, text: ctx.config.word }] }) }
      },
    }) as unknown as AgentPlugin
    const config = (channels: Record<string, string>, word: string) =>
      acme(
        Object.entries(channels).map(([id, hello]) => ({ id, type: 'fake', enabled: true, config: { hello }, plugin: channel })),
        [{ id: 'say', type: 'say', enabled: true, config: { word }, plugin: agent }],
      )
    const answer = async (runtime: Awaited<ReturnType<typeof startTenant>>) => {
      const reply = await runtime.pipeline.hooks[0]!.respond!({} as never)
      return { text: reply?.parts[0]?.type === 'text' ? reply.parts[0].text : undefined }
    }
    const hello = async (routes: RouteTable, instance: string) => {
      const koa = { body: undefined } as { body: unknown }
      await routes.match('GET', 'acme', instance, '/hello')?.(koa as never, async () => {})
      return koa.body
    }

    it('keeps unchanged channels running, restarts changed ones, stops removed ones and swaps the pipeline', async () => {
      started.length = stopped.length = 0
      const routes = new RouteTable()
      const runtime = await startTenant(rootContainer(), config({ keep: 'a', change: 'b', drop: 'c' }, 'hello'), routes)
      const kept = runtime.channel('keep')
      await runtime.reload(config({ keep: 'a', change: 'B', add: 'd' }, 'bonjour'))
      expect(started).toEqual(['keep:a', 'change:b', 'drop:c', 'change:B', 'add:d'])
      expect(stopped).toEqual(['change:b', 'drop:c'])
      expect(runtime.channel('keep')).toBe(kept)
      expect(runtime.channel('drop')).toBeUndefined()
      expect(await hello(routes, 'change')).toBe('B')
      expect((await answer(runtime)).text).toBe('bonjour')
      await runtime.stop()
    })

    it('keeps serving the old configuration when the new one fails to start', async () => {
      started.length = stopped.length = 0
      const routes = new RouteTable()
      const runtime = await startTenant(rootContainer(), config({ web: 'a' }, 'hello'), routes)
      await expect(runtime.reload(config({ web: 'explode' }, 'bonjour'))).rejects.toThrow(/cannot bind/)
      await expect(runtime.reload(config({ web: 'a' }, 'explode'))).rejects.toThrow(/model missing/)
      expect(await hello(routes, 'web')).toBe('a')
      expect((await answer(runtime)).text).toBe('hello')
      expect(stopped).toEqual([])
      await runtime.stop()
    })
  })
})
