import { execFileSync } from 'node:child_process'
import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Child, repoRoot } from '../ws-chat/children.js'
import { cleanup, installCleanupHandlers, onCleanup } from '../ws-chat/cleanup.js'
import type { ServerEvent } from '../ws-chat/messages.js'
import { createSchema } from '../ws-chat/postgres.js'
import { cpuModel } from '../ws-chat/proc.js'
import { summarizeProfile } from '../ws-chat/profile-summary.js'
import { channelAvailable, RAISED, startSwitchboard, type Gateway } from './gateway.js'
import { measure, type Measurement, type Settings, type Subject } from './measure.js'
import type { LoadEvent, Platform, SinkUrls, TeamsIdentity, TelegramIdentity } from './messages.js'
import { pgCounters } from './pg-stats.js'
import { startProfiling, writeWindows, type CpuProfile } from './profile.js'
import { formatGroup, type GroupResult } from './report.js'

/**
 * Channel throughput: webhook in → reply at the fake platform, end to end, for the gateway and for
 * the bare bots it must keep up with, all measured in the same run. See README.md.
 */
const USAGE = `usage: npm run bench:channels -- [--only telegram|teams] [--seconds 10] [--warmup 2] [--concurrency 200]
       [--runs 3] [--timeout 10] [--database-url postgres://…] [--pglite] [--pin] [--log-level warn]
       [--profile <dir>] [--out bench/results]`
const DEFAULT_DATABASE = 'postgres://postgres@127.0.0.1:5432/test'

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    timeout: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    pglite: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    profile: { type: 'string' },
    out: { type: 'string', default: join(repoRoot, 'bench', 'results') },
    help: { type: 'boolean', default: false },
  },
})
const usage = (problem?: string): never => {
  console.error(problem ? `${problem}\n${USAGE}` : USAGE)
  process.exit(problem ? 2 : 0)
}
if (args.help) usage()
const number = (name: 'seconds' | 'warmup' | 'concurrency' | 'runs' | 'timeout', min: number, max: number): number => {
  const value = Number(args[name])
  if (!Number.isFinite(value) || value < min || value > max) usage(`--${name} must be a number between ${min} and ${max}`)
  return value
}
const platforms: Platform[] = args.only === undefined ? ['telegram', 'teams'] : [args.only as Platform]
if (!platforms.every((p) => p === 'telegram' || p === 'teams')) usage('--only must be telegram or teams')
if (args.pglite && args['database-url']) usage('--pglite and --database-url exclude each other')

const settings: Settings = { warmupSeconds: number('warmup', 0, 60), seconds: number('seconds', 1, 600), timeoutMs: number('timeout', 1, 120) * 1000 }
const concurrency = Math.floor(number('concurrency', 1, 5000))
const runs = Math.floor(number('runs', 1, 20))
const databaseUrl = args.pglite ? undefined : (args['database-url'] ?? DEFAULT_DATABASE)
const pin = args.pin && hasTaskset()
if (args.pin && !pin) console.error('--pin: taskset not found, running unpinned')

const SUBJECTS = {
  telegram: { koa: 'bare Koa echo', sdk: 'telegraf echo bot (SDK)', sdkName: 'telegraf echo', sdkScript: 'telegraf-echo.ts' },
  teams: { koa: 'bare Koa echo (jose JWT check)', sdk: 'botbuilder echo bot (SDK)', sdkName: 'botbuilder echo', sdkScript: 'botbuilder-echo.ts' },
} as const

installCleanupHandlers()

async function main(): Promise<void> {
  const header = [
    `channels benchmark — ${availableParallelism()} × ${cpuModel()}, node ${process.version}, pinned: ${pin ? 'yes (servers CPU 0, load + sinks CPU 1, PostgreSQL unpinned)' : 'no'}`,
    `${concurrency} conversations in a closed loop (next message once the reply reached the sink and the webhook answered) · ` +
      `warm-up ${settings.warmupSeconds} s + ${settings.seconds} s measured × ${runs} run${runs > 1 ? 's' : ''}, medians, subjects alternated per run`,
    `Switchboard: the real gateway process (bin/switchboard.js, LOG_LEVEL=${args['log-level']}), rules plugin echoing, ` +
      `${databaseUrl ? `PostgreSQL (fresh schema on ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname})` : 'embedded PGlite'}; ` +
      `channel send limits raised to ${RAISED.points.toLocaleString('en-US')}/s (the defaults, 1/s per chat + 30/s per bot on Telegram and 7/s per thread + 50/s per app on Teams, would cap it at 30–50 msg/s); tenant limits unset`,
  ].join('\n')
  console.log(args.profile ? `${header}\nDIAGNOSTIC RUN: the gateway is being CPU-profiled, which adds to its CPU; do not quote its figures` : header)
  const groups: GroupResult[] = []
  for (const platform of platforms) {
    console.error(`\n[${platform}] starting…`)
    const group = await runGroup(platform)
    groups.push(group)
    console.log(`\n${platform === 'telegram' ? 'Telegram' : 'Teams'}\n${formatGroup(group)}`)
  }
  await mkdir(args.out, { recursive: true })
  const file = join(args.out, `channels-${new Date().toISOString().replaceAll(':', '-')}.json`)
  await writeFile(file, `${JSON.stringify({ header, settings: { ...settings, concurrency, runs, pin, database: databaseUrl ? 'postgres' : 'pglite' }, groups }, null, 2)}\n`)
  console.log(`\nresults: ${file}`)
}

async function runGroup(platform: Platform): Promise<GroupResult> {
  const names = SUBJECTS[platform]
  const group: GroupResult = { platform, sdkName: names.sdkName, subjects: [], runs: [], skipped: channelAvailable(platform) }
  const load = new Child(`${platform} load`, '../channels/load.ts', { cpu: pin ? 1 : undefined })
  const servers: Child[] = []
  let gateway: Gateway | undefined
  let profile: CpuProfile | undefined
  try {
    await load.next('ready', 60_000)
    const identity = newIdentity(platform)
    const { urls } = await load.request<Extract<LoadEvent, { type: 'sink' }>>({ cmd: 'sink', platform, identity, concurrency }, 'sink', 60_000)
    const subjects: Subject[] = []
    for (const [id, script] of [['koa', 'koa-echo.ts'], ['sdk', names.sdkScript]] as const) {
      const child = new Child(names[id], `../channels/${script}`, { cpu: pin ? 0 : undefined, env: serverEnv(platform, identity, urls) })
      servers.push(child)
      const ready = await child.next<Extract<ServerEvent, { type: 'ready' }>>('ready', 60_000)
      subjects.push({ id, label: names[id], pid: child.pid, port: ready.port, path: ready.path, usesPostgres: false })
    }
    if (!group.skipped) {
      const started = await startGateway(platform, identity, urls)
      gateway = started.gateway
      subjects.push(started.subject)
    }
    group.subjects = subjects.map(({ id, label }) => ({ id, label }))
    const profiler = gateway?.inspectorUrl ? await startProfiling(gateway.inspectorUrl) : undefined

    // A fresh process runs its first requests cold (JIT, first connections): seconds of latency at 200 in flight.
    for (const subject of subjects) await measure(load, subject, { ...settings, seconds: 2 })
    for (let run = 0; run < runs; run++) {
      const measured: Measurement[] = []
      // Rotated each run, so no subject always goes first or always right after the same neighbour.
      for (const subject of subjects.map((_, i) => subjects[(i + run) % subjects.length]!)) {
        const m = await measure(load, subject, settings)
        measured.push(m)
        console.error(
          `[${platform}] run ${run + 1}/${runs} ${subject.label}: ${Math.round(m.msgsPerSecond)} msg/s, p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms, max ${m.maxMs.toFixed(0)} ms, ` +
            `server ${m.serverMicros.toFixed(0)} µs/msg (${m.serverPercent.toFixed(0)} %), load ${m.loadPercent.toFixed(0)} %, other ${m.otherPercent.toFixed(0)} %, ` +
            `missing ${m.load.missing}, duplicate ${m.load.duplicate}`,
        )
      }
      group.runs.push(measured)
    }
    profile = await profiler?.stop()
  } finally {
    for (const child of servers) child.send({ cmd: 'stop' })
    await Promise.all(servers.map((child) => child.stop(10_000)))
    await gateway?.close()
    load.kill()
    await load.exited
  }
  if (profile) console.log(`\n${profileSummary(profile, group)}`)
  return group
}

/** Made up per group; the servers and the sink share them. */
function newIdentity(platform: Platform): TelegramIdentity | TeamsIdentity {
  if (platform === 'telegram') return { botToken: `${randomInt(100_000_000, 999_999_999)}:${randomBytes(26).toString('base64url')}`, secret: randomBytes(24).toString('base64url') }
  return { appId: randomUUID(), appPassword: `${randomBytes(3).toString('hex')}~${randomBytes(24).toString('base64url')}`, tenantId: randomUUID() }
}

async function startGateway(platform: Platform, identity: TelegramIdentity | TeamsIdentity, sink: SinkUrls): Promise<{ gateway: Gateway; subject: Subject }> {
  const schema = databaseUrl ? await createSchema(databaseUrl) : undefined
  if (schema) onCleanup(() => schema.drop())
  const gateway = await startSwitchboard({ platform, identity, sink, databaseUrl: schema?.url, logLevel: args['log-level'], cpu: pin ? 0 : undefined, inspect: args.profile !== undefined })
  const counters = schema ? await pgCounters(schema.url, schema.schema) : undefined
  if (counters) onCleanup(() => counters.close())
  const subject: Subject = {
    id: 'switchboard',
    label: 'Switchboard (full pipeline)',
    pid: gateway.pid,
    port: gateway.process.port,
    path: gateway.path,
    usesPostgres: schema !== undefined,
    ...(counters ? { pgCounters: counters.read } : {}),
  }
  return { gateway, subject }
}

function serverEnv(platform: Platform, identity: TelegramIdentity | TeamsIdentity, urls: SinkUrls): NodeJS.ProcessEnv {
  if (platform === 'telegram') {
    const { botToken, secret } = identity as TelegramIdentity
    return { BENCH_PLATFORM: platform, BENCH_BOT_TOKEN: botToken, BENCH_SECRET: secret, BENCH_API_ROOT: urls.base }
  }
  const { appId, appPassword } = identity as TeamsIdentity
  return {
    BENCH_PLATFORM: platform,
    BENCH_APP_ID: appId,
    BENCH_APP_PASSWORD: appPassword,
    BENCH_SERVICE_URLS: urls.serviceUrl,
    BENCH_OPENID_URL: urls.openIdMetadataUrl,
    BENCH_TOKEN_URL: urls.tokenUrl,
    BENCH_LOGIN_URL: urls.loginUrl,
  }
}

/** The gateway's CPU profile cut to its measured windows, per reply (profiling itself adds CPU). */
function profileSummary(profile: CpuProfile, group: GroupResult): string {
  const mine = group.runs.flatMap((run) => run.filter((m) => m.subject === 'switchboard'))
  const file = join(resolve(args.profile!), `switchboard-${group.platform}-${new Date().toISOString().replaceAll(':', '-')}.cpuprofile`)
  writeWindows(profile, mine.map((m) => m.window), file)
  const replies = mine.reduce((a, m) => a + m.load.completed, 0)
  return `Switchboard (${group.platform}) CPU profile, measured windows only (${replies} replies; profiling adds CPU):\n${summarizeProfile(file, 30, replies)}`
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

try {
  if (args.profile) await mkdir(args.profile, { recursive: true })
  await main()
  await cleanup()
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  await cleanup()
  process.exitCode = 1
}
