import { join } from 'node:path'
import { Child } from './children.js'
import { FAQ } from './gateway-config.js'
import { Histogram } from './histogram.js'
import type { ClientEvent, LoadResult, OpenResult, ServerEvent, Target } from './messages.js'
import { CLOCK_TICKS, cpuTicks, machineTicks, peakRssBytes, postgresPids, rssBytes, ticksBetween, ticksOf } from './proc.js'

export interface Settings {
  sockets: number
  concurrency: number
  seconds: number
  warmupSeconds: number
  batch: number
  timeoutMs: number
  pin: boolean
  fileLimit: number | undefined
  /** Folder for CPU profiles of the opening phase and of the measured window, when profiling. */
  profileDir: string | undefined
  /** PostgreSQL processes are measured too when the gateway uses them. */
  postgres: boolean
  /** Ask the server for its own diagnostics (per-statement SQL times) after the window. */
  serverStats: boolean
}

export interface TargetResult {
  target: Target
  label: string
  serverPid: number
  open: OpenResult & {
    /** Server CPU per opened socket: TCP accept, upgrade, and (gateway) hello → welcome. */
    serverMicrosPerSocket: number
    /** Database CPU per opened socket, when PostgreSQL is measured. */
    databaseMicrosPerSocket: number | undefined
  }
  memory: {
    rssBeforeBytes: number
    rssIdleBytes: number
    /** (RSS with every socket idle − RSS before any) / sockets. */
    perSocketBytes: number
    /** Live V8 heap per socket (heapUsed after GC): exact, but without native and kernel-side memory. */
    heapPerSocketBytes: number
    /** process.memoryUsage() after a GC, before any socket and with all of them idle. */
    before: NodeJS.MemoryUsage
    idle: NodeJS.MemoryUsage
    gcAvailable: boolean
    rssAfterLoadBytes: number
    peakRssBytes: number
  }
  load: Omit<LoadResult, 'histogram'> & {
    msgsPerSecond: number
    latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number }
  }
  /** Over the measured window; percentages are of one core. */
  cpu: {
    windowSeconds: number
    serverPercent: number
    clientPercent: number
    databasePercent: number | undefined
    machinePercent: number
    /** Kernel softirq time (loopback TCP); partly also inside the processes' own system time. */
    softirqPercent: number
    /** Machine busy time not used by server, client or database: other work on a shared machine. */
    othersPercent: number
    serverMicrosPerMessage: number
    clientMicrosPerMessage: number
    databaseMicrosPerMessage: number | undefined
  }
  /** CPU profiles of the server: while the sockets opened, and during the measured window. */
  profiles: { open: string; load: string } | undefined
  /** The server's own diagnostics for the window, when asked for (--sql-stats). */
  serverStats: unknown
}

export const LABELS: Record<Target, string> = { echo: 'bare ws echo', switchboard: 'switchboard (full)' }

/** One row of the table: a server child and a fresh client child, measured start to finish. */
export async function measure(target: Target, server: Child, settings: Settings): Promise<TargetResult> {
  const log = (text: string) => console.error(`[${target}] ${text}`)
  const ready = await server.next<Extract<ServerEvent, { type: 'ready' }>>('ready', 120_000)
  if (ready.pid !== server.pid) throw new Error(`${server.name} reports pid ${ready.pid}, expected ${server.pid}`)
  const client = new Child(`${target} client`, 'client.ts', { cpu: settings.pin ? 1 : undefined, fileLimit: settings.fileLimit })
  try {
    await client.next('ready', 60_000)
    const before = await settledMemory(server, log)
    log(`server up on port ${ready.port} (pid ${server.pid}, ${mib(before.rss)} RSS); opening ${settings.sockets} sockets…`)

    const url = `ws://127.0.0.1:${ready.port}${ready.path}`
    const timeout = Math.max(120_000, settings.sockets * 50)
    const openProfile = settings.profileDir ? join(settings.profileDir, `${target}-open-${Date.now()}.cpuprofile`) : undefined
    if (openProfile) await server.request({ cmd: 'profile-start' }, 'profile-started', 30_000)
    const measuresDatabase = settings.postgres && target === 'switchboard'
    const ticksBefore = { server: cpuTicks(server.pid) ?? 0, database: measuresDatabase ? ticksOf(postgresPids()) : undefined }
    const { result: opened } = await client.request<Extract<ClientEvent, { type: 'opened' }>>(
      { cmd: 'open', url, target, sockets: settings.sockets, batch: settings.batch, timeoutMs: settings.timeoutMs },
      'opened',
      timeout,
    )
    const perSocket = (ticks: number) => ((ticks / CLOCK_TICKS) * 1e6) / Math.max(1, opened.held)
    const open = {
      ...opened,
      serverMicrosPerSocket: perSocket((cpuTicks(server.pid) ?? 0) - ticksBefore.server),
      databaseMicrosPerSocket: ticksBefore.database ? perSocket(ticksBetween(ticksBefore.database, ticksOf(postgresPids()))) : undefined,
    }
    log(`${open.held} held, ${open.failed} failed in ${open.seconds.toFixed(1)} s`)
    if (openProfile) await server.request({ cmd: 'profile-stop', file: openProfile }, 'profile-stopped', 60_000)
    await sleep(1000) // let the last handshakes' garbage and buffers settle before sampling
    const idle = await memorySample(server)

    const cpu = await loadPhase(target, server, client, settings)
    const serverStats = settings.serverStats
      ? (await server.request<Extract<ServerEvent, { type: 'stats' }>>({ cmd: 'stats' }, 'stats', 30_000)).stats
      : undefined
    const rssAfterLoadBytes = (await memorySample(server)).rss
    const peak = peakRssBytes(server.pid)
    await client.request({ cmd: 'close' }, 'closed', 60_000)

    const { histogram: snapshot, ...rest } = cpu.load
    const histogram = Histogram.from(snapshot)
    const ms = (p: number) => histogram.percentile(p) / 1000
    const messages = Math.max(1, rest.completed)
    const perMessage = (ticks: number) => ((ticks / CLOCK_TICKS) * 1e6) / messages
    return {
      target,
      label: LABELS[target],
      serverPid: server.pid,
      open,
      memory: {
        rssBeforeBytes: before.rss,
        rssIdleBytes: idle.rss,
        perSocketBytes: open.held > 0 ? (idle.rss - before.rss) / open.held : NaN,
        heapPerSocketBytes: open.held > 0 ? (idle.usage.heapUsed - before.usage.heapUsed) / open.held : NaN,
        before: before.usage,
        idle: idle.usage,
        gcAvailable: before.gc,
        rssAfterLoadBytes,
        peakRssBytes: peak,
      },
      load: {
        ...rest,
        msgsPerSecond: rest.completed / rest.windowSeconds,
        latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: histogram.max / 1000, mean: histogram.mean / 1000 },
      },
      cpu: {
        windowSeconds: cpu.wallSeconds,
        serverPercent: percent(cpu.server, cpu.wallSeconds),
        clientPercent: percent(cpu.client, cpu.wallSeconds),
        databasePercent: cpu.database === undefined ? undefined : percent(cpu.database, cpu.wallSeconds),
        machinePercent: cpu.machinePercent,
        softirqPercent: percent(cpu.softirq, cpu.wallSeconds),
        othersPercent: percent(cpu.machineBusy - cpu.server - cpu.client - (cpu.database ?? 0), cpu.wallSeconds),
        serverMicrosPerMessage: perMessage(cpu.server),
        clientMicrosPerMessage: perMessage(cpu.client),
        databaseMicrosPerMessage: cpu.database === undefined ? undefined : perMessage(cpu.database),
      },
      profiles: openProfile && cpu.profile ? { open: openProfile, load: cpu.profile } : undefined,
      serverStats,
    }
  } finally {
    client.kill()
    await client.exited
  }
}

/**
 * The baseline: RSS after a GC, once it stops moving. A freshly started gateway keeps handing back
 * startup memory (PGlite peaks near 1 GB while it boots) for several seconds, which would otherwise
 * be credited to the sockets opened meanwhile.
 */
async function settledMemory(server: Child, log: (text: string) => void) {
  let sample = await memorySample(server)
  for (let i = 0; i < 30; i++) {
    await sleep(1000)
    const next = await memorySample(server)
    const moved = Math.abs(next.rss - sample.rss)
    sample = next
    if (moved < 512 * 1024) return sample
  }
  log(`RSS still moving after 30 s; baseline ${mib(sample.rss)}`)
  return sample
}

/** RSS read from /proc right after the server ran a full GC. */
async function memorySample(server: Child): Promise<{ rss: number; usage: NodeJS.MemoryUsage; gc: boolean }> {
  const { usage, gc } = await server.request<Extract<ServerEvent, { type: 'memory' }>>({ cmd: 'gc' }, 'memory', 60_000)
  return { rss: rssBytes(server.pid), usage, gc }
}

/** Runs the closed loop; CPU readings (and the optional profile) bracket exactly the measured window. */
async function loadPhase(target: Target, server: Child, client: Child, settings: Settings) {
  const profileFile = settings.profileDir ? join(settings.profileDir, `${target}-load-${Date.now()}.cpuprofile`) : undefined
  const snapshot = () => ({
    at: performance.now(),
    server: cpuTicks(server.pid) ?? 0,
    client: cpuTicks(client.pid) ?? 0,
    database: settings.postgres && target === 'switchboard' ? ticksOf(postgresPids()) : undefined,
    machine: machineTicks(),
  })
  let start: ReturnType<typeof snapshot> | undefined
  let end: ReturnType<typeof snapshot> | undefined
  const off = client.on<Extract<ClientEvent, { type: 'window' }>>('window', ({ edge }) => {
    server.send({ cmd: 'window', edge })
    if (edge === 'start') {
      start = snapshot()
      if (profileFile) server.send({ cmd: 'profile-start' })
    } else {
      end = snapshot()
      if (profileFile) server.send({ cmd: 'profile-stop', file: profileFile })
    }
  })
  const profileSaved = profileFile ? server.next('profile-stopped', (settings.warmupSeconds + settings.seconds) * 1000 + 120_000) : undefined
  const { result: load } = await client.request<Extract<ClientEvent, { type: 'loaded' }>>(
    {
      cmd: 'load',
      concurrency: settings.concurrency,
      warmupSeconds: settings.warmupSeconds,
      seconds: settings.seconds,
      timeoutMs: settings.timeoutMs,
      cases: FAQ.map(({ question, answer }) => ({ question, answer })),
    },
    'loaded',
    (settings.warmupSeconds + settings.seconds) * 1000 + settings.timeoutMs + 60_000,
  )
  off()
  await profileSaved
  if (!start || !end) throw new Error('the client never reported its measured window')
  const machine = {
    busy: end.machine.busy - start.machine.busy,
    total: end.machine.total - start.machine.total,
    softirq: end.machine.softirq - start.machine.softirq,
  }
  return {
    load,
    wallSeconds: (end.at - start.at) / 1000,
    server: end.server - start.server,
    client: end.client - start.client,
    database: start.database && end.database ? ticksBetween(start.database, end.database) : undefined,
    machinePercent: machine.total > 0 ? (100 * machine.busy) / machine.total : NaN,
    machineBusy: machine.busy,
    softirq: machine.softirq,
    profile: profileFile,
  }
}

const percent = (ticks: number, seconds: number) => (100 * ticks) / CLOCK_TICKS / seconds
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
