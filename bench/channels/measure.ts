import type { Child } from '../ws-chat/children.js'
import { Histogram } from '../ws-chat/histogram.js'
import { CLOCK_TICKS, cpuTicks, machineTicks, postgresPids, ticksBetween, ticksOf } from '../ws-chat/proc.js'
import type { LoadEvent, LoadResult } from './messages.js'
import type { PgCounters } from './pg-stats.js'

export type SubjectId = 'koa' | 'sdk' | 'switchboard' | 'switchboard-passive'

/** A server under load: a bare echo bot or the gateway, already listening. */
export interface Subject {
  id: SubjectId
  label: string
  pid: number
  port: number
  path: string
  /** The machine's PostgreSQL works for this subject, so its CPU is measured too. */
  usesPostgres: boolean
  /** Its database counters, read at the window's edges. */
  pgCounters?: () => Promise<PgCounters>
}

export interface Settings {
  warmupSeconds: number
  seconds: number
  timeoutMs: number
}

export interface Measurement {
  subject: SubjectId
  msgsPerSecond: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** CPU time per reply in the window, µs; percentages are of one core. */
  serverMicros: number
  serverPercent: number
  loadMicros: number
  loadPercent: number
  postgresMicros: number | undefined
  /** Per reply: commits in the database (all sessions) and rows written in the gateway's schema. */
  postgresCommits: number | undefined
  postgresRows: number | undefined
  machinePercent: number
  /** Busy CPU not used by server, load child or PostgreSQL, % of one core: other work on a shared machine. */
  otherPercent: number
  /** The window on CLOCK_MONOTONIC (µs), to cut a CPU profile to it. */
  window: { fromUs: number; toUs: number }
  load: Omit<LoadResult, 'histogram'>
}

/**
 * One subject, one run: warm-up, the measured window (CPU read from /proc at its edges), drain.
 * `loops`: how many of the load child's conversations take part (all by default).
 */
export async function measure(load: Child, subject: Subject, settings: Settings, loops?: number): Promise<Measurement> {
  const snapshot = () => ({
    server: cpuTicks(subject.pid) ?? 0,
    load: cpuTicks(load.pid) ?? 0,
    postgres: subject.usesPostgres ? ticksOf(postgresPids()) : undefined,
    machine: machineTicks(),
  })
  const edges: Partial<Record<'start' | 'end', { at: ReturnType<typeof snapshot>; hrtimeUs: number; pg: Promise<PgCounters> | undefined }>> = {}
  const off = load.on<Extract<LoadEvent, { type: 'window' }>>('window', ({ edge, hrtimeUs }) => (edges[edge] = { at: snapshot(), hrtimeUs, pg: subject.pgCounters?.() }))
  const { result } = await load
    .request<Extract<LoadEvent, { type: 'loaded' }>>(
      { cmd: 'run', port: subject.port, path: subject.path, ...(loops === undefined ? {} : { loops }), ...settings },
      'loaded',
      (settings.warmupSeconds + settings.seconds) * 1000 + 2 * settings.timeoutMs + 30_000,
    )
    .finally(off)
  const { start, end } = edges
  if (!start || !end) throw new Error('the load child never reported its window')

  const { histogram, ...rest } = result
  const latency = Histogram.from(histogram)
  const replies = Math.max(1, result.completed)
  const micros = (ticks: number) => ((ticks / CLOCK_TICKS) * 1e6) / replies
  const percent = (ticks: number) => (100 * ticks) / CLOCK_TICKS / result.windowSeconds
  const machine = { busy: end.at.machine.busy - start.at.machine.busy, total: end.at.machine.total - start.at.machine.total }
  const postgres = start.at.postgres && end.at.postgres ? ticksBetween(start.at.postgres, end.at.postgres) : undefined
  const [pgStart, pgEnd] = await Promise.all([start.pg, end.pg])
  return {
    subject: subject.id,
    msgsPerSecond: result.completed / result.windowSeconds,
    p50Ms: latency.percentile(50) / 1000,
    p99Ms: latency.percentile(99) / 1000,
    maxMs: latency.max / 1000,
    serverMicros: micros(end.at.server - start.at.server),
    serverPercent: percent(end.at.server - start.at.server),
    loadMicros: micros(end.at.load - start.at.load),
    loadPercent: percent(end.at.load - start.at.load),
    postgresMicros: postgres === undefined ? undefined : micros(postgres),
    postgresCommits: pgStart && pgEnd ? (pgEnd.commits - pgStart.commits) / replies : undefined,
    postgresRows: pgStart && pgEnd ? (pgEnd.rows - pgStart.rows) / replies : undefined,
    machinePercent: machine.total > 0 ? (100 * machine.busy) / machine.total : NaN,
    otherPercent: percent(machine.busy - (end.at.server - start.at.server) - (end.at.load - start.at.load) - (postgres ?? 0)),
    window: { fromUs: start.hrtimeUs, toUs: end.hrtimeUs },
    load: rest,
  }
}
