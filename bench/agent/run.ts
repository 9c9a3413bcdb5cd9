/**
 * A turn through the demo tenant's whole agent pipeline (intent → sentiment → knowledge → agent,
 * built-in provider), in process: what the agent adds to each message's latency, without the
 * network or the database. Run: node --import tsx bench/agent/run.ts [--turns N]
 */
import 'reflect-metadata'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { container } from 'tsyringe'
import { builtinChannels } from '../../channels/index.js'
import { loadConfig } from '../../core/config/load.js'
import { Scope } from '../../core/di/scope.js'
import { Tokens } from '../../core/di/tokens.js'
import { Metrics } from '../../core/observability/metrics.js'
import { Pipeline } from '../../core/pipeline/pipeline.js'
import { createTurn } from '../../core/pipeline/turn.js'
import { PluginRegistry } from '../../core/plugin/registry.js'
import { setupPlugins } from '../../core/tenancy/plugin-setup.js'
import { builtinAgents } from '../../plugins/index.js'

const { values } = parseArgs({ options: { turns: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '20' } } })
const turns = Number(values.turns)
const concurrency = Number(values.concurrency)

const questions = [
  '我想了解你们的产品价格',
  '我的账号登录不了',
  '你们的服务太差了，我要投诉',
  'How much is the Pro plan?',
  'How long does shipping take to Germany?',
  'I need a VAT invoice for my last order',
  'hello',
  'where is my order??',
  '怎么申请退款',
  'can I talk to a real person',
]

const dataDir = await mkdtemp(join(tmpdir(), 'sb-bench-agent-'))
const registry = new PluginRegistry({ channels: builtinChannels, agents: builtinAgents })
const config = await loadConfig({ dir: new URL('../../config/', import.meta.url).pathname, registry, env: { ...process.env, SWITCHBOARD_DATA_DIR: dataDir } })
const tenant = config.tenants.find((t) => t.id === 'demo')!
const log = pino({ level: 'silent' })
const scope = new Scope('bench')
const parent = container.createChildContainer()
parent.register(Tokens.GatewayConfig, { useValue: config.gateway })
const setupStarted = performance.now()
const { hooks } = await setupPlugins({ tenant: 'demo', entries: tenant.plugins, parent, scope, log, metrics: new Metrics({ defaultMetrics: false }), paths: { config: tenant.dir, data: dataDir } })
const setupMs = performance.now() - setupStarted
const pipeline = new Pipeline(hooks)

async function turn(i: number): Promise<number> {
  const text = questions[i % questions.length]!
  const conversation = `c${Math.floor(i / 5)}`
  const activity = {
    id: `m${i}`,
    tenant: 'demo',
    channel: 'bench',
    instance: 'web',
    conversation: { id: conversation, tenant: 'demo', channel: 'bench', instance: 'web', externalId: conversation },
    from: { id: conversation, role: 'user' as const },
    at: new Date(),
    kind: 'message' as const,
    text,
    parts: [{ type: 'text' as const, text }],
    raw: null,
  }
  const started = performance.now()
  await pipeline.run(createTurn({ id: `t${i}`, activity, log, signal: new AbortController().signal }))
  return performance.now() - started
}

for (let i = 0; i < 100; i++) await turn(i) // warm-up: JIT, LanceDB caches
const sequential: number[] = []
const cpuBefore = process.cpuUsage()
const seqStarted = performance.now()
for (let i = 0; i < turns; i++) sequential.push(await turn(i))
const seqMs = performance.now() - seqStarted
const cpu = process.cpuUsage(cpuBefore)

const concurrent: number[] = []
let next = 0
const conStarted = performance.now()
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < turns) concurrent.push(await turn(next++))
  }),
)
const conMs = performance.now() - conStarted

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!
const row = (name: string, xs: number[], ms: number) =>
  `| ${name.padEnd(26)} | ${String(xs.length).padStart(6)} | ${pct(xs, 50).toFixed(2).padStart(7)} | ${pct(xs, 99).toFixed(2).padStart(7)} | ${((xs.length / ms) * 1000).toFixed(0).padStart(8)} |`
console.log(`agent pipeline (demo tenant, builtin provider): plugin setup incl. knowledge ingest ${setupMs.toFixed(0)} ms`)
console.log('| run                        |  turns | p50 ms  | p99 ms  | turns/s  |')
console.log('|----------------------------|--------|---------|---------|----------|')
console.log(row('sequential', sequential, seqMs))
console.log(row(`${concurrency} conversations at once`, concurrent, conMs))
console.log(`CPU per turn (sequential): ${(((cpu.user + cpu.system) / turns) / 1000).toFixed(2)} ms`)
await scope.dispose()
await rm(dataDir, { recursive: true, force: true })
