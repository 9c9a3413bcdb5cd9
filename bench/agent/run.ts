/**
 * A turn through the demo tenant's whole agent pipeline (intent → sentiment → knowledge → agent,
 * built-in provider), in process: what the agent adds to each message's latency, without the
 * network or the database. Run: node --import tsx bench/agent/run.ts [--turns N]
 */
import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { builtinChannels } from '../../channels/index.js'
import { loadConfig } from '../../core/config/load.js'
import { textMessage } from '../../core/message/index.js'
import { Pipeline } from '../../core/pipeline/pipeline.js'
import { createTurn } from '../../core/pipeline/turn.js'
import { PluginRegistry } from '../../core/plugin/registry.js'
import { setupDetached } from '../../core/tenancy/plugin-setup.js'
import { builtinAgents } from '../../plugins/index.js'

const { values } = parseArgs({ options: { concurrency: { type: 'string', default: '20' } } })
const concurrency = Number(values.concurrency)

// Real customer phrasing, every line different: the labelled sets (zh + en).
const texts = (file: string) =>
  readFileSync(new URL(`../../test/fixtures/eval/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text)
const dev = texts('dev.jsonl')
const others = [...texts('holdout.jsonl'), ...texts('blind.jsonl')]

const dataDir = await mkdtemp(join(tmpdir(), 'sb-bench-agent-'))
const registry = new PluginRegistry({ channels: builtinChannels, agents: builtinAgents })
const config = await loadConfig({ dir: new URL('../../config/', import.meta.url).pathname, registry, env: { ...process.env, SWITCHBOARD_DATA_DIR: dataDir } })
const tenant = config.tenants.find((t) => t.id === 'demo')!
const log = pino({ level: 'silent' })
const setupStarted = performance.now()
const plugins = await setupDetached(tenant, config.gateway, tenant.plugins, log)
const { hooks } = plugins
const setupMs = performance.now() - setupStarted
const pipeline = new Pipeline(hooks)

async function turn(i: number, questions: readonly string[]): Promise<number> {
  const text = questions[i % questions.length]!
  // Five turns per conversation, so the graph's history and the sentiment trend are exercised.
  const conversation = `c${Math.floor(i / 5)}`
  const activity = textMessage(text, { tenant: 'demo', conversationId: conversation, id: `m${i}`, channel: 'bench' })
  const started = performance.now()
  await pipeline.run(createTurn({ id: `t${i}`, activity, log, signal: new AbortController().signal }))
  return performance.now() - started
}

// Warm-up on other conversations: JIT, LanceDB's first queries.
for (let i = 0; i < 50; i++) await turn(100_000 + i, ['How much is the Pro plan?', '你好', 'where is my order'])

const measure = async (label: string, questions: readonly string[], parallel: number, offset: number) => {
  const times: number[] = []
  const turns = questions.length
  let next = 0
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < turns) times.push(await turn(offset + next++, questions))
    }),
  )
  const ms = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  return { label, times, ms, cpuMs: (cpu.user + cpu.system) / 1000 / times.length }
}
// First pass: every question new to the knowledge base's result cache; second: asked before.
const rows = [
  await measure('each question new, 1 at a time', dev, 1, 0),
  await measure('asked before, 1 at a time', dev, 1, 10_000),
  await measure(`each question new, ${concurrency} at once`, others, concurrency, 20_000),
]
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!
console.log(`agent pipeline, demo tenant (intent → sentiment → knowledge → agent, builtin provider); questions from test/fixtures/eval (dev ${dev.length}, holdout + blind ${others.length})`)
console.log(`plugin setup incl. knowledge ingest: ${setupMs.toFixed(0)} ms`)
console.log('| run                                 | turns | p50 ms | p99 ms | turns/s | CPU ms/turn |')
console.log('|-------------------------------------|-------|--------|--------|---------|-------------|')
for (const r of rows) {
  console.log(
    `| ${r.label.padEnd(35)} | ${String(r.times.length).padStart(5)} | ${pct(r.times, 50).toFixed(2).padStart(6)} | ${pct(r.times, 99).toFixed(2).padStart(6)} | ${((r.times.length / r.ms) * 1000).toFixed(0).padStart(7)} | ${r.cpuMs.toFixed(2).padStart(11)} |`,
  )
}
await plugins.close()
await rm(dataDir, { recursive: true, force: true })
