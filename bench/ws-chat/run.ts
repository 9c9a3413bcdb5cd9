import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Child, repoRoot } from './children.js'
import { cleanup, installCleanupHandlers, onCleanup, removeOnExit } from './cleanup.js'
import { TENANT, writeGatewayConfig } from './gateway-config.js'
import { LABELS, measure, type Settings, type TargetResult } from './measure.js'
import type { Target } from './messages.js'
import { createSchema } from './postgres.js'
import { cpuModel, openFileLimit } from './proc.js'
import { summarizeProfile } from './profile-summary.js'
import { formatReport, formatSqlStats, type Header } from './report.js'

/**
 * ws-chat benchmark orchestrator: a bare `ws` echo server and the full gateway, each in its own
 * child process, each driven by a fresh client child, measured in the same run. See README.md.
 */
const USAGE = `usage: npm run bench:ws -- [--sockets 10000] [--concurrency 200] [--seconds 10] [--warmup 2]
       [--batch 500] [--timeout 10] [--database-url postgres://…] [--only echo|switchboard]
       [--pin] [--profile <dir>] [--sql-stats] [--stub-db] [--out bench/results]`

const { values: args } = parseArgs({
  options: {
    sockets: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    batch: { type: 'string', default: '500' },
    timeout: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    only: { type: 'string' },
    pin: { type: 'boolean', default: false },
    profile: { type: 'string' },
    'sql-stats': { type: 'boolean', default: false },
    'stub-db': { type: 'boolean', default: false },
    out: { type: 'string', default: join(repoRoot, 'bench', 'results') },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}

const number = (name: keyof typeof args, min: number, max: number): number => {
  const value = Number(args[name])
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(`--${name} must be a number between ${min} and ${max}\n${USAGE}`)
    process.exit(2)
  }
  return value
}
const sockets = Math.floor(number('sockets', 1, 50_000))
const targets: Target[] = args.only === undefined ? ['echo', 'switchboard'] : [args.only as Target]
if (!targets.every((t) => t in LABELS)) {
  console.error(`--only must be echo or switchboard\n${USAGE}`)
  process.exit(2)
}

// Each process holds one end of every socket plus its own files; leave headroom for the rest.
const needed = sockets + 1024
const limit = openFileLimit()
if (limit.hard < needed) {
  console.error(`${sockets} sockets need ${needed} open files per process, but the hard limit is ${limit.hard}: raise it (ulimit -Hn) or use fewer --sockets`)
  process.exit(2)
}

const settings: Settings = {
  sockets,
  concurrency: Math.min(sockets, Math.floor(number('concurrency', 1, 50_000))),
  seconds: number('seconds', 1, 600),
  warmupSeconds: number('warmup', 0, 60),
  batch: Math.floor(number('batch', 1, 4000)),
  timeoutMs: number('timeout', 1, 120) * 1000,
  pin: args.pin,
  fileLimit: limit.soft < needed ? Math.min(limit.hard, needed * 2) : undefined,
  profileDir: args.profile,
  postgres: Boolean(args['database-url']),
  serverStats: args['sql-stats'],
}

installCleanupHandlers()

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'switchboard-bench-'))
  removeOnExit(scratch)
  if (settings.profileDir) await mkdir(settings.profileDir, { recursive: true })
  const results: TargetResult[] = []
  for (const target of targets) {
    const server = target === 'echo' ? startEcho() : await startSwitchboard(scratch)
    try {
      const result = await measure(target, server, settings)
      if (target === 'switchboard' && args['stub-db']) result.label = 'switchboard (DB stub)'
      results.push(result)
    } finally {
      server.send({ cmd: 'stop' })
      await server.stop(15_000)
    }
  }

  const header: Header = {
    sockets,
    concurrency: settings.concurrency,
    seconds: settings.seconds,
    node: process.version,
    cores: availableParallelism(),
    database: args['stub-db'] ? 'database STUBBED (diagnostic)' : settings.postgres ? 'PostgreSQL' : 'PGlite',
  }
  console.log(formatReport(header, results))
  for (const r of results) {
    const sql = formatSqlStats(r)
    if (sql) console.log(`\n${sql}`)
  }
  for (const r of results) {
    if (!r.profiles) continue
    console.log(`\n${r.label}, opening ${r.open.held} sockets (per socket):\n${summarizeProfile(r.profiles.open, 15, r.open.held, 'socket')}`)
    console.log(`\n${r.label}, measured window (per message):\n${summarizeProfile(r.profiles.load, 30, r.load.completed)}`)
  }

  await mkdir(args.out, { recursive: true })
  const file = join(args.out, `ws-chat-${new Date().toISOString().replaceAll(':', '-')}.json`)
  const machine = { cpu: cpuModel(), cores: header.cores, node: process.version, pinned: settings.pin }
  await writeFile(file, `${JSON.stringify({ header, settings, machine, results }, null, 2)}\n`)
  console.log(`\nresults: ${file}`)
}

function startEcho(): Child {
  return new Child('echo server', 'echo-server.ts', { nodeArgs: ['--expose-gc'], cpu: settings.pin ? 0 : undefined, fileLimit: settings.fileLimit })
}

async function startSwitchboard(scratch: string): Promise<Child> {
  const configDir = join(scratch, 'config')
  const dataDir = join(scratch, 'data')
  await writeGatewayConfig(configDir)
  let databaseUrl: string | undefined
  if (args['database-url']) {
    const schema = await createSchema(args['database-url'])
    onCleanup(() => schema.drop())
    databaseUrl = schema.url
    console.error(`[switchboard] PostgreSQL schema ${schema.schema}`)
  }
  return new Child('gateway', 'gateway-server.ts', {
    nodeArgs: ['--expose-gc'],
    cpu: settings.pin ? 0 : undefined,
    fileLimit: settings.fileLimit,
    env: {
      BENCH_CONFIG_DIR: configDir,
      BENCH_DATA_DIR: dataDir,
      BENCH_TENANT: TENANT,
      ...(settings.serverStats ? { BENCH_SQL_STATS: '1' } : {}),
      ...(args['stub-db'] ? { BENCH_STUB_DB: '1' } : {}),
      ...(databaseUrl ? { BENCH_DATABASE_URL: databaseUrl } : {}),
    },
  })
}

try {
  await main()
  await cleanup()
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  await cleanup()
  process.exitCode = 1
}
