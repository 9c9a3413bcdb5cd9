import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { testRegistry } from '../../test/harness/gateway.js'
import { z } from 'zod'
import { defineChannel, type ChannelPlugin } from '../plugin/channel.js'
import { loadConfig } from './load.js'
import { secret } from './secret.js'
import { formatProblem } from './problems.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-config-'))
  await mkdir(join(dir, 'tenants'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const write = (file: string, text: string) => writeFile(join(dir, file), text)
const load = (env: NodeJS.ProcessEnv = {}) => loadConfig({ dir, registry: testRegistry(), env })

describe('loading a config folder', () => {
  it('validates envelopes and every entry against its plugin schema, reporting all problems with paths', async () => {
    await write(
      'tenants/acme.yaml',
      `id: acme
channels:
  - id: ws
    type: websocket
    config:
      allowedOrigins: [https://shop.example, not-a-url]
      maxFrameBytes: 10
      colour: blue
  - id: slack
    type: slack
plugins:
  - id: faq
    type: rules
    config:
      minScore: 2
      rules:
        - { id: broken, pattern: "(", reply: hi }
`,
    )
    const { problems } = await load()
    expect(problems.map(formatProblem)).toEqual([
      'tenants/acme.yaml: channels[0].config.allowedOrigins[1]: Invalid URL',
      'tenants/acme.yaml: channels[0].config.maxFrameBytes: Too small: expected number to be >=1024',
      'tenants/acme.yaml: channels[0].config.colour: unknown key',
      'tenants/acme.yaml: channels[1].type: unknown channel type "slack" (known: teams, telegram, voice, websocket, wechat)',
      'tenants/acme.yaml: plugins[0].config.rules[0].pattern: not a valid regular expression',
      'tenants/acme.yaml: plugins[0].config.minScore: Too big: expected number to be <=1',
      'tenants/acme.yaml: channels[0].id: "ws" is reserved for web chat routes; choose another id',
    ])
  })

  it('reports envelope mistakes, a wrong id and YAML syntax errors per file', async () => {
    await write('tenants/acme.yaml', 'id: globex\nchannels: {}\nplugin: []\n')
    await write('tenants/broken.yaml', 'id: broken\nchannels: [\n')
    await write('gateway.yaml', 'server:\n  port: 99999\n')
    const problems = (await load()).problems.map(formatProblem)
    expect(problems).toContain('gateway.yaml: server.port: Too big: expected number to be <=65535')
    expect(problems).toContain('tenants/acme.yaml: channels: Invalid input: expected array, received object')
    expect(problems).toContain('tenants/acme.yaml: plugin: unknown key')
    expect(problems.find((p) => p.startsWith('tenants/broken.yaml: line'))).toBeDefined()
  })

  it('resolves ${env:…} and ${file:…} secrets in gateway.yaml, reports missing ones, and redacts them wherever config is shown', async () => {
    await write('session.key', 'from-a-file-0123456789abcdef0123456789\n')
    await write('gateway.yaml', 'sessionSecret: ${file:session.key}\nstorage:\n  databaseUrl: ${env:DB_URL}\n')
    await write('tenants/acme.yaml', 'id: acme\n')
    const loaded = await load({ DB_URL: 'postgres://u:hunter2@db/x' })
    expect(loaded.problems).toEqual([])
    expect(loaded.gateway.sessionSecret).toBe('from-a-file-0123456789abcdef0123456789')
    expect(loaded.gateway.storage.databaseUrl).toBe('postgres://u:hunter2@db/x')
    expect(JSON.stringify(loaded.gatewayDisplay)).not.toMatch(/hunter2|from-a-file/)
    expect(loaded.gatewayDisplay).toMatchObject({ sessionSecret: '[redacted]', storage: { databaseUrl: '[redacted]' } })

    const missing = await load({})
    expect(missing.problems.map(formatProblem)).toContain('gateway.yaml: storage.databaseUrl: environment variable DB_URL is not set')
  })

  it('resolves references in a tenant only where the plugin schema marks a secret', async () => {
    const registry = testRegistry()
    registry.addChannel(
      defineChannel({
        manifest: { kind: 'channel', id: 'vault', label: 'Vault', version: '1', config: z.object({ token: secret(), title: z.string().default('') }).strict(), capabilities: { parts: ['text'] } },
        start: async () => ({ send: async () => ({ status: 'sent' }) }),
      }) as unknown as ChannelPlugin,
    )
    await write('tenants/acme.yaml', 'id: acme\nchannels: [{ id: v, type: vault, config: { token: "${env:ACME_TOKEN}" } }]\n')
    const loaded = await loadConfig({ dir, registry, env: { ACME_TOKEN: 't0ps3cret' } })
    expect(loaded.problems).toEqual([])
    expect(loaded.tenants[0]!.channels[0]!.config).toEqual({ token: 't0ps3cret', title: '' })
    expect(JSON.stringify(loaded.tenants[0]!.display)).not.toContain('t0ps3cret')

    await write(
      'tenants/acme.yaml',
      'id: acme\nname: ${env:SWITCHBOARD_SESSION_SECRET}\nchannels: [{ id: v, type: vault, config: { token: "${file:../../etc/hostname}", title: "${env:HOME}" } }]\n',
    )
    expect((await loadConfig({ dir, registry, env: { HOME: '/root' } })).problems.map(formatProblem)).toEqual([
      'tenants/acme.yaml: name: secret references (${env:…}, ${file:…}) are only allowed in secret fields',
      'tenants/acme.yaml: channels[0].config.token: secret file ../../etc/hostname must not leave the config folder',
      'tenants/acme.yaml: channels[0].config.title: secret references (${env:…}, ${file:…}) are only allowed in secret fields',
    ])
  })

  it('resolves the secrets of the member a discriminated union names, even when a reference would fail its format', async () => {
    const registry = testRegistry()
    const pin = secret().pipe(z.string().regex(/^\d{4}$/, 'four digits'))
    const config = z.discriminatedUnion('kind', [z.object({ kind: z.literal('plain'), token: secret() }).strict(), z.object({ kind: z.literal('pinned'), token: secret(), pin }).strict()])
    registry.addChannel(
      defineChannel({
        manifest: { kind: 'channel', id: 'vault', label: 'Vault', version: '1', config, capabilities: { parts: ['text'] } },
        start: async () => ({ send: async () => ({ status: 'sent' }) }),
      }) as unknown as ChannelPlugin,
    )
    await write('tenants/acme.yaml', 'id: acme\nchannels: [{ id: v, type: vault, config: { kind: pinned, token: "${env:ACME_TOKEN}", pin: "${env:ACME_PIN}" } }]\n')
    const loaded = await loadConfig({ dir, registry, env: { ACME_TOKEN: 't0ps3cret', ACME_PIN: '1234' } })
    expect(loaded.problems).toEqual([])
    expect(loaded.tenants[0]!.channels[0]!.config).toEqual({ kind: 'pinned', token: 't0ps3cret', pin: '1234' })
  })

  it('lets environment variables override the file and selects one tenant', async () => {
    await write('tenants/acme.yaml', 'id: acme\n')
    await write('tenants/globex.yaml', 'id: globex\n')
    const loaded = await load({ PORT: '9090', SWITCHBOARD_TENANT: 'globex' })
    expect(loaded.gateway.server.port).toBe(9090)
    expect(loaded.tenants.map((t) => t.id)).toEqual(['globex'])
    expect((await load({ SWITCHBOARD_TENANT: 'initech' })).problems.map(formatProblem)).toEqual([
      'environment: tenant: tenant "initech" has no file tenants/initech.yaml',
    ])
  })

  it('refuses a folder that does not exist and a folder without tenants', async () => {
    await expect(loadConfig({ dir: join(dir, 'nope'), registry: testRegistry() })).rejects.toMatchObject({ code: 'SB_ERR_CONFIG_NOT_FOUND' })
    expect((await load()).problems.map(formatProblem)).toEqual(['tenants/: no tenant files (tenants/<id>.yaml) found'])
  })

  it('accepts the shipped demo configuration', async () => {
    const shipped = await loadConfig({ dir: new URL('../../config/', import.meta.url).pathname, registry: testRegistry(), env: {} })
    expect(shipped.problems).toEqual([])
    expect(shipped.tenants.map((t) => [t.id, t.channels.map((c) => c.type), t.plugins.map((p) => p.type)])).toEqual([['demo', ['websocket'], ['customers', 'handoff', 'ticketing', 'intent', 'sentiment', 'knowledge', 'agent']]])
  })
})
