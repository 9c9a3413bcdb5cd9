import type { TargetResult } from './measure.js'
import type { StatementStats } from './sql-stats.js'

export interface Header {
  sockets: number
  concurrency: number
  seconds: number
  node: string
  cores: number
  database: string
}

const TARGET_SOCKETS = 10_000
const TARGET_KIB_PER_SOCKET = 20
const TARGET_RATIO = 0.5

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–')
const fixed = (n: number | undefined, digits = 1) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '–')
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('').trimEnd()
const mark = (ok: boolean) => (ok ? '✓' : '✗')

/** The human-readable summary: the headline table, CPU, errors and the gateway's correctness. */
export function formatReport(header: Header, results: TargetResult[]): string {
  const lines: string[] = []
  lines.push(
    `ws-chat benchmark — ${header.sockets} sockets, ${header.concurrency} in flight, ${header.seconds} s (node ${header.node}, ${header.cores} cores, ${header.database})`,
  )
  const w = [24, 14, 11, 17, 13, 9, 8, 8, 8]
  lines.push(pad(['', 'sockets held', 'open time', 'RSS/idle socket', '(JS heap)', 'msgs/s', 'p50 ms', 'p99 ms', 'max ms'], w))
  for (const r of results) {
    lines.push(
      pad(
        [
          r.label,
          String(r.open.held),
          `${fixed(r.open.seconds)} s`,
          `${fixed(r.memory.perSocketBytes / 1024)} KiB`,
          `${fixed(r.memory.heapPerSocketBytes / 1024)} KiB`,
          int(r.load.msgsPerSecond),
          fixed(r.load.latencyMs.p50),
          fixed(r.load.latencyMs.p99),
          fixed(r.load.latencyMs.max),
        ],
        w,
      ),
    )
  }
  const echo = results.find((r) => r.target === 'echo')
  const gateway = results.find((r) => r.target === 'switchboard')
  const ratio = echo && gateway ? gateway.load.msgsPerSecond / echo.load.msgsPerSecond : undefined
  if (ratio !== undefined) lines.push(`ratio (switchboard / echo throughput): ${ratio.toFixed(2)}×`)
  if (gateway) {
    const targets = [
      `${int(TARGET_SOCKETS)} sockets held ${mark(gateway.open.held >= TARGET_SOCKETS)}`,
      `≤ ${TARGET_KIB_PER_SOCKET} KiB/idle socket ${mark(gateway.memory.perSocketBytes / 1024 <= TARGET_KIB_PER_SOCKET)}`,
      ...(ratio !== undefined ? [`≥ ${TARGET_RATIO}× echo ${mark(ratio >= TARGET_RATIO)}`] : []),
    ]
    lines.push(`targets: ${targets.join(' · ')}`)
  }

  lines.push('')
  const c = [24, 13, 9, 13, 9, 11, 9, 14, 10, 8]
  lines.push(pad(['CPU (window)', 'server %core', 'µs/msg', 'client %core', 'µs/msg', 'postgres %', 'µs/msg', 'machine busy', 'softirq %', 'other %'], c))
  for (const r of results) {
    lines.push(
      pad(
        [
          r.label,
          fixed(r.cpu.serverPercent, 0),
          fixed(r.cpu.serverMicrosPerMessage),
          fixed(r.cpu.clientPercent, 0),
          fixed(r.cpu.clientMicrosPerMessage),
          fixed(r.cpu.databasePercent, 0),
          fixed(r.cpu.databaseMicrosPerMessage),
          `${fixed(r.cpu.machinePercent, 0)}% of ${header.cores}`,
          fixed(r.cpu.softirqPercent, 0),
          fixed(r.cpu.othersPercent, 0),
        ],
        c,
      ),
    )
  }

  lines.push('')
  for (const r of results) {
    const failures = Object.entries(r.open.failures).map(([k, v]) => `${k}×${v}`)
    const frames = Object.entries(r.load.errorFrames).map(([k, v]) => `${k}×${v}`)
    lines.push(
      `errors ${r.label}: ${r.open.failed} failed opens${failures.length ? ` (${failures.join(', ')})` : ''} · ${r.load.timeouts} timeouts` +
        ` · ${r.load.late} late · ${r.load.socketsLost} sockets lost · error frames: ${frames.length ? frames.join(', ') : 'none'}`,
    )
  }
  for (const r of results) {
    const k = r.load.correctness
    const ok = k.missingReplies + k.duplicateReplies + k.wrongReplies + k.seqRepeats + k.seqGaps + k.missingAcks + k.duplicateAcks + k.acksFlaggedDuplicate === 0
    const acks = r.target === 'switchboard' ? ` · acks ${int(k.acks)} (${k.missingAcks} missing, ${k.duplicateAcks} duplicate, ${k.acksFlaggedDuplicate} flagged duplicate) · seq repeats ${k.seqRepeats}, gaps ${k.seqGaps}` : ''
    lines.push(
      `correctness ${r.label}: ${int(r.load.sent)} sent · ${int(r.load.replies)} replies · ${k.missingReplies} missing · ${k.duplicateReplies} duplicate · ${k.wrongReplies} wrong${acks} ${mark(ok)}`,
    )
  }
  lines.push('')
  for (const r of results) {
    const db = r.open.databaseMicrosPerSocket === undefined ? '' : ` + postgres ${fixed(r.open.databaseMicrosPerSocket, 0)} µs`
    lines.push(
      `opening ${r.label}: ${int(r.open.held / r.open.seconds)} sockets/s · server CPU ${fixed(r.open.serverMicrosPerSocket, 0)} µs${db} per socket (accept, upgrade${r.target === 'switchboard' ? ', hello → welcome' : ''})`,
    )
  }
  for (const r of results) {
    const m = r.memory
    const perSocket = (a: number, b: number) => `${fixed((b - a) / Math.max(1, r.open.held) / 1024, 2)} KiB`
    lines.push(
      `memory ${r.label}: RSS ${mib(m.rssBeforeBytes)} → ${mib(m.rssIdleBytes)} idle → ${mib(m.rssAfterLoadBytes)} after load and a GC (peak ${mib(m.peakRssBytes)}); ` +
        `per idle socket: heap total ${perSocket(m.before.heapTotal, m.idle.heapTotal)}, external ${perSocket(m.before.external, m.idle.external)}` +
        `${m.gcAvailable ? '' : ' (no --expose-gc: samples without GC)'}`,
    )
  }
  return lines.join('\n')
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`

/** Per-statement database time during the window (`--sql-stats`), per message handled. */
export function formatSqlStats(r: TargetResult): string | undefined {
  const sql = (r.serverStats as { sql?: StatementStats[] } | undefined)?.sql
  if (!sql?.length) return undefined
  const messages = Math.max(1, r.load.completed)
  const w = [8, 10, 12, 13, 14, 14]
  const lines = [`SQL during the window, ${r.label} (${int(messages)} messages; exec = not queued, PGlite only):`]
  lines.push(pad(['calls', 'items', 'items/call', 'exec µs/msg', 'wall ms/call', 'exec ms/call', 'statement'], [...w, 0]))
  for (const s of sql) {
    lines.push(
      pad(
        [
          int(s.calls),
          int(s.items),
          fixed(s.items / s.calls),
          fixed((s.execMs * 1000) / messages),
          fixed(s.wallMs / s.calls, 2),
          fixed(s.execMs / s.calls, 2),
          s.statement,
        ],
        [...w, 0],
      ),
    )
  }
  const total = sql.reduce((a, s) => a + s.execMs, 0)
  lines.push(`total exec: ${fixed((total * 1000) / messages)} µs/msg (${fixed((100 * total) / 1000 / r.cpu.windowSeconds, 0)} % of the window)`)
  return lines.join('\n')
}
