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
import type { Identity, LoadEvent, Platform, SinkUrls, TeamsIdentity, TelegramIdentity, VoiceIdentity, WeChatIdentity } from './messages.js'
import { pgCounters } from './pg-stats.js'
import { startProfiling, writeWindows, type CpuProfile } from './profile.js'
import { formatGroup, type GroupResult } from './report.js'

/**
 * Channel throughput: webhook in → reply at the fake platform (or in the webhook's answer), end to
 * end, for the gateway and for the bare bots it must keep up with, all measured in the same run.
 * See README.md.
 */
const USAGE = `usage: npm run bench:channels -- [--only telegram|teams|wechat|voice] [--seconds 10] [--warmup 2] [--concurrency 200]
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
const PLATFORMS: Platform[] = ['telegram', 'teams', 'wechat', 'voice']
const platforms: Platform[] = args.only === undefined ? PLATFORMS : [args.only as Platform]
if (!platforms.every((p) => PLATFORMS.includes(p))) usage(`--only must be one of ${PLATFORMS.join(', ')}`)
if (args.pglite && args['database-url']) usage('--pglite and --database-url exclude each other')

const settings: Settings = { warmupSeconds: number('warmup', 0, 60), seconds: number('seconds', 1, 600), timeoutMs: number('timeout', 1, 120) * 1000 }
const concurrency = Math.floor(number('concurrency', 1, 5000))
const runs = Math.floor(number('runs', 1, 20))
const databaseUrl = args.pglite ? undefined : (args['database-url'] ?? DEFAULT_DATABASE)
const pin = args.pin && hasTaskset()
if (args.pin && !pin) console.error('--pin: taskset not found, running unpinned')

interface GroupPlan {
  title: string
  koa: { label: string; script: string }
  sdk?: { label: string; name: string; script: string }
  /** Why the group has no SDK row. */
  noSdk?: string
  /** Loads measured, each its own table: voice adds one call alone, for a turn's latency without queueing. */
  levels: number[]
}

const GROUPS: Record<Platform, GroupPlan> = {
  telegram: {
    title: 'Telegram',
    koa: { label: 'bare Koa echo', script: 'koa-echo.ts' },
    sdk: { label: 'telegraf echo bot (SDK)', name: 'telegraf echo', script: 'telegraf-echo.ts' },
    levels: [concurrency],
  },
  teams: {
    title: 'Teams',
    koa: { label: 'bare Koa echo (jose JWT check)', script: 'koa-echo.ts' },
    sdk: { label: 'botbuilder echo bot (SDK)', name: 'botbuilder echo', script: 'botbuilder-echo.ts' },
    levels: [concurrency],
  },
  wechat: {
    title: 'WeChat (Official Account, safe mode)',
    koa: { label: 'bare Koa echo (@wecom/crypto)', script: 'wechat-koa-echo.ts' },
    noSdk: 'WeChat has no official Node SDK to compare with',
    levels: [concurrency],
  },
  voice: {
    title: 'Voice (Twilio webhook)',
    koa: { label: 'bare Koa echo (twilio TwiML)', script: 'voice-koa-echo.ts' },
    noSdk: 'a Twilio voice bot is a webhook, with no bot SDK; the twilio package (signature check, VoiceResponse) is in both rows',
    levels: concurrency > 1 ? [1, concurrency] : [1],
  },
}

installCleanupHandlers()

async function main(): Promise<void> {
  const header = [
    `channels benchmark — ${availableParallelism()} × ${cpuModel()}, node ${process.version}, pinned: ${pin ? 'yes (servers CPU 0, load + sinks CPU 1, PostgreSQL unpinned)' : 'no'}`,
    `${concurrency} conversations (calls) in a closed loop (next message once its reply arrived, at the sink or in the webhook's answer, and the webhook answered) · ` +
      `warm-up ${settings.warmupSeconds} s + ${settings.seconds} s measured × ${runs} run${runs > 1 ? 's' : ''}, medians, subjects alternated per run`,
    `Switchboard: the real gateway process (bin/switchboard.js, LOG_LEVEL=${args['log-level']}), rules plugin echoing, ` +
      `${databaseUrl ? `PostgreSQL (fresh schema on ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname})` : 'embedded PGlite'}; ` +
      `channel send limits raised to ${RAISED.points.toLocaleString('en-US')}/s (the defaults, 1/s per chat + 30/s per bot on Telegram, 7/s per thread + 50/s per app on Teams ` +
      `and 5/s per user + 50/s per app on WeChat, would cap it at 30–50 msg/s; voice answers in the webhook and has none); tenant limits unset`,
  ].join('\n')
  console.log(args.profile ? `${header}\nDIAGNOSTIC RUN: the gateway is being CPU-profiled, which adds to its CPU; do not quote its figures` : header)
  const groups: GroupResult[] = []
  for (const platform of platforms) {
    console.error(`\n[${platform}] starting…`)
    for (const group of await runGroup(platform)) {
      groups.push(group)
      console.log(`\n${group.title}\n${formatGroup(group)}`)
    }
  }
  await mkdir(args.out, { recursive: true })
  const file = join(args.out, `channels-${new Date().toISOString().replaceAll(':', '-')}.json`)
  await writeFile(file, `${JSON.stringify({ header, settings: { ...settings, concurrency, runs, pin, database: databaseUrl ? 'postgres' : 'pglite' }, groups }, null, 2)}\n`)
  console.log(`\nresults: ${file}`)
}

async function runGroup(platform: Platform): Promise<GroupResult[]> {
  const plan = GROUPS[platform]
  const skipped = channelAvailable(platform)
  const groups: GroupResult[] = plan.levels.map((level) => ({
    platform,
    title: plan.levels.length > 1 ? `${plan.title}, ${level} ${platform === 'voice' ? 'call' : 'conversation'}${level === 1 ? '' : 's'}` : plan.title,
    concurrency: level,
    ...(plan.sdk ? { sdkName: plan.sdk.name } : {}),
    ...(plan.noSdk ? { noSdk: plan.noSdk } : {}),
    subjects: [],
    runs: [],
    ...(skipped ? { skipped } : {}),
  }))
  const load = new Child(`${platform} load`, '../channels/load.ts', { cpu: pin ? 1 : undefined })
  const servers: Child[] = []
  let gateway: Gateway | undefined
  let profile: CpuProfile | undefined
  try {
    await load.next('ready', 60_000)
    const identity = newIdentity(platform)
    const { urls } = await load.request<Extract<LoadEvent, { type: 'sink' }>>({ cmd: 'sink', platform, identity, concurrency }, 'sink', 60_000)
    const subjects: Subject[] = []
    const bare = [['koa', plan.koa], ...(plan.sdk ? [['sdk', plan.sdk] as const] : [])] as const
    for (const [id, { label, script }] of bare) {
      const child = new Child(label, `../channels/${script}`, { cpu: pin ? 0 : undefined, env: serverEnv(platform, identity, urls) })
      servers.push(child)
      const ready = await child.next<Extract<ServerEvent, { type: 'ready' }>>('ready', 60_000)
      subjects.push({ id, label, pid: child.pid, port: ready.port, path: ready.path, usesPostgres: false })
    }
    if (!skipped) {
      const started = await startGateway(platform, identity, urls)
      gateway = started.gateway
      subjects.push(...started.subjects)
    }
    for (const group of groups) group.subjects = subjects.map(({ id, label }) => ({ id, label }))
    const profiler = gateway?.inspectorUrl ? await startProfiling(gateway.inspectorUrl) : undefined

    // A fresh process runs its first requests cold (JIT, first connections): seconds of latency at 200 in flight.
    for (const subject of subjects) await measure(load, subject, { ...settings, seconds: 2 })
    for (const group of groups) {
      for (let run = 0; run < runs; run++) {
        const measured: Measurement[] = []
        // Rotated each run, so no subject always goes first or always right after the same neighbour.
        for (const subject of subjects.map((_, i) => subjects[(i + run) % subjects.length]!)) {
          const m = await measure(load, subject, settings, group.concurrency)
          measured.push(m)
          console.error(
            `[${group.title}] run ${run + 1}/${runs} ${subject.label}: ${Math.round(m.msgsPerSecond)} ${platform === 'voice' ? 'turns' : 'msg'}/s, p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms, max ${m.maxMs.toFixed(0)} ms, ` +
              `server ${m.serverMicros.toFixed(0)} µs/msg (${m.serverPercent.toFixed(0)} %), load ${m.loadPercent.toFixed(0)} %, other ${m.otherPercent.toFixed(0)} %, ` +
              `missing ${m.load.missing}, duplicate ${m.load.duplicate}`,
          )
        }
        group.runs.push(measured)
      }
    }
    profile = await profiler?.stop()
  } finally {
    for (const child of servers) child.send({ cmd: 'stop' })
    await Promise.all(servers.map((child) => child.stop(10_000)))
    await gateway?.close()
    load.kill()
    await load.exited
  }
  if (profile) console.log(`\n${profileSummary(profile, platform, groups)}`)
  return groups
}

/** Made up per group; the servers and the sink share them. */
function newIdentity(platform: Platform): Identity {
  switch (platform) {
    case 'telegram':
      return { botToken: `${randomInt(100_000_000, 999_999_999)}:${randomBytes(26).toString('base64url')}`, secret: randomBytes(24).toString('base64url') }
    case 'teams':
      return { appId: randomUUID(), appPassword: `${randomBytes(3).toString('hex')}~${randomBytes(24).toString('base64url')}`, tenantId: randomUUID() }
    case 'wechat':
      return {
        appId: `wx${randomBytes(8).toString('hex')}`,
        appSecret: randomBytes(16).toString('hex'),
        token: randomBytes(16).toString('hex'),
        // The console's EncodingAESKey: a 32-byte key as 43 base64 characters, its `=` dropped.
        encodingAESKey: randomBytes(32).toString('base64').slice(0, 43),
        originalId: `gh_${randomBytes(6).toString('hex')}`,
      }
    case 'voice':
      return { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex'), number: '+18005550100' }
  }
}

async function startGateway(platform: Platform, identity: Identity, sink: SinkUrls): Promise<{ gateway: Gateway; subjects: Subject[] }> {
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
  const passive: Subject[] = gateway.passivePath ? [{ ...subject, id: 'switchboard-passive', label: 'Switchboard, passive reply', path: gateway.passivePath }] : []
  return { gateway, subjects: [subject, ...passive] }
}

function serverEnv(platform: Platform, identity: Identity, urls: SinkUrls): NodeJS.ProcessEnv {
  switch (platform) {
    case 'telegram': {
      const { botToken, secret } = identity as TelegramIdentity
      return { BENCH_PLATFORM: platform, BENCH_BOT_TOKEN: botToken, BENCH_SECRET: secret, BENCH_API_ROOT: urls.base }
    }
    case 'teams': {
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
    case 'wechat': {
      const { appId, appSecret, token, encodingAESKey } = identity as WeChatIdentity
      return {
        BENCH_PLATFORM: platform,
        BENCH_WECHAT_APP_ID: appId,
        BENCH_WECHAT_APP_SECRET: appSecret,
        BENCH_WECHAT_TOKEN: token,
        BENCH_WECHAT_AES_KEY: encodingAESKey,
        BENCH_API_ROOT: urls.base,
      }
    }
    case 'voice': {
      const { accountSid, authToken } = identity as VoiceIdentity
      return { BENCH_PLATFORM: platform, BENCH_ACCOUNT_SID: accountSid, BENCH_AUTH_TOKEN: authToken }
    }
  }
}

/** The gateway's CPU profile cut to its measured windows, per reply (profiling itself adds CPU). */
function profileSummary(profile: CpuProfile, platform: Platform, groups: GroupResult[]): string {
  const mine = groups.flatMap((group) => group.runs.flatMap((run) => run.filter((m) => m.subject === 'switchboard')))
  const file = join(resolve(args.profile!), `switchboard-${platform}-${new Date().toISOString().replaceAll(':', '-')}.cpuprofile`)
  writeWindows(profile, mine.map((m) => m.window), file)
  const replies = mine.reduce((a, m) => a + m.load.completed, 0)
  return `Switchboard (${platform}) CPU profile, measured windows only (${replies} replies; profiling adds CPU):\n${summarizeProfile(file, 30, replies)}`
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
