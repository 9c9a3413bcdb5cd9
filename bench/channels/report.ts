import type { Measurement, SubjectId } from './measure.js'
import type { Platform } from './messages.js'

/** The issue's targets for the gateway, as ratios of msg/s measured in the same run. */
export const TARGETS = { sdk: 1.0, koa: 0.5 } as const

export interface GroupResult {
  platform: Platform
  /** The table's title, e.g. `WeChat (Official Account, safe mode)` or `Voice, 1 call`. */
  title: string
  /** Conversations (calls) in the closed loop. */
  concurrency: number
  /** The SDK echo bot's name, when the group has one; `noSdk` says why not otherwise. */
  sdkName?: string
  noSdk?: string
  subjects: { id: SubjectId; label: string }[]
  /** runs[r] holds one measurement per subject of run r. */
  runs: Measurement[][]
  /** Why the Switchboard row is missing, when it is. */
  skipped?: string
}

const median = (values: number[]): number => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–')
const fixed = (n: number | undefined, digits = 1) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '–')
const signed = (n: number, digits = 1) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '–')
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–')
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('').trimEnd()
const mark = (ok: boolean) => (ok ? '✓' : '✗')
const counts = (map: Record<string, number>) => Object.entries(map).map(([k, v]) => `${k}×${v}`).join(', ')

/** Medians over runs; the ratio columns are medians of the per-run ratios (same-run pairs cancel drift). */
export function summarise(group: GroupResult) {
  const of = (id: SubjectId) => group.runs.map((run) => run.find((m) => m.subject === id)).filter((m): m is Measurement => m !== undefined)
  const perRunRatio = (id: SubjectId, base: SubjectId) =>
    median(group.runs.map((run) => (run.find((m) => m.subject === id)?.msgsPerSecond ?? NaN) / (run.find((m) => m.subject === base)?.msgsPerSecond ?? NaN)))
  return group.subjects.map(({ id, label }) => {
    const ms = of(id)
    const pick = (f: (m: Measurement) => number | undefined) => median(ms.map((m) => f(m) ?? NaN))
    return {
      id,
      label,
      runs: ms,
      msgsPerSecond: pick((m) => m.msgsPerSecond),
      p50Ms: pick((m) => m.p50Ms),
      p99Ms: pick((m) => m.p99Ms),
      serverMicros: pick((m) => m.serverMicros),
      serverPercent: pick((m) => m.serverPercent),
      loadPercent: pick((m) => m.loadPercent),
      postgresMicros: pick((m) => m.postgresMicros),
      otherPercent: pick((m) => m.otherPercent),
      postgresCommits: pick((m) => m.postgresCommits),
      postgresRows: pick((m) => m.postgresRows),
      xSdk: perRunRatio(id, 'sdk'),
      xKoa: perRunRatio(id, 'koa'),
    }
  })
}

type Row = ReturnType<typeof summarise>[number]

export function formatGroup(group: GroupResult): string {
  const rows = summarise(group)
  // Voice answers in the webhook: a message is a caller's turn.
  const [unit, units] = group.platform === 'voice' ? ['turn', 'turns'] : ['msg', 'msg']
  type Column = [title: string, width: number, cell: (r: Row) => string]
  const sdkColumn: Column[] = group.sdkName ? [['×SDK echo', 11, (r) => ratio(r.xSdk)]] : []
  const columns: Column[] = [
    ['subject', Math.max(32, ...rows.map((r) => r.label.length + 2)), (r) => r.label],
    [`${units}/s`, 9, (r) => int(r.msgsPerSecond)],
    ['p50 ms', 8, (r) => fixed(r.p50Ms)],
    ['p99 ms', 8, (r) => fixed(r.p99Ms)],
    [`server CPU µs/${unit}`, 20, (r) => fixed(r.serverMicros, 0)],
    ...sdkColumn,
    ['×Koa', 8, (r) => ratio(r.xKoa)],
    ['server %core', 14, (r) => fixed(r.serverPercent, 0)],
    ['load %core', 12, (r) => fixed(r.loadPercent, 0)],
    [`postgres µs/${unit}`, 18, (r) => fixed(r.postgresMicros, 0)],
    ['other %', 10, (r) => fixed(r.otherPercent, 0)],
    [`${units}/s by run`, 0, (r) => r.runs.map((m) => int(m.msgsPerSecond)).join(' / ')],
  ]
  const widths = columns.map(([, width]) => width)
  const lines = [pad(columns.map(([title]) => title), widths), ...rows.map((r) => pad(columns.map(([, , cell]) => cell(r)), widths))]
  const gateway = rows.find((r) => r.id === 'switchboard')
  const koa = rows.find((r) => r.id === 'koa')
  if (gateway) {
    lines.push(targets(group, gateway, koa))
    if (Number.isFinite(gateway.postgresRows)) {
      lines.push(
        `Switchboard's PostgreSQL work per ${unit === 'turn' ? 'turn' : 'reply'}: ${fixed(gateway.postgresMicros, 0)} µs CPU, ${fixed(gateway.postgresCommits, 2)} commits (database-wide counter), ${fixed(gateway.postgresRows)} rows written`,
      )
    }
  } else if (group.skipped) lines.push(`Switchboard not measured: ${group.skipped}`)
  if (group.noSdk) lines.push(`no SDK row: ${group.noSdk}`)
  for (const r of rows) lines.push(correctness(r, group.platform === 'wechat'))
  return lines.join('\n')
}

function targets(group: GroupResult, gateway: Row, koa: Row | undefined): string {
  const koaTarget = `≥ ${TARGETS.koa.toFixed(1)}× bare Koa ${mark(gateway.xKoa >= TARGETS.koa)} (${ratio(gateway.xKoa)})`
  if (group.platform === 'voice') {
    // The issue sets no ratio for voice; what a caller notices is the time to the answer.
    const redirects = gateway.runs.reduce((a, m) => a + m.load.redirects, 0)
    return (
      `Switchboard per turn over bare Koa: p50 ${signed(gateway.p50Ms - (koa?.p50Ms ?? NaN))} ms, p99 ${signed(gateway.p99Ms - (koa?.p99Ms ?? NaN))} ms · ` +
      `${ratio(gateway.xKoa)} its turns/s · fillers said (answer later than answerWithinMs, <Redirect> followed): ${redirects}`
    )
  }
  // Issue 6 sets no ratio for WeChat; the webhook channels' bar from issue 5 is printed as our own.
  if (!group.sdkName) return `target (the webhook channels' bar): Switchboard ${koaTarget}`
  return `targets (issue): Switchboard ≥ ${TARGETS.sdk.toFixed(1)}× ${group.sdkName} ${mark(gateway.xSdk >= TARGETS.sdk)} (${ratio(gateway.xSdk)}) · ${koaTarget}`
}

/** Every message answered exactly once, over the whole run; `passive`: say how many replies came back in the webhook's answer. */
function correctness(r: Row, passive: boolean): string {
  const sum = (f: (m: Measurement) => number) => r.runs.reduce((a, m) => a + f(m), 0)
  const merge = (f: (m: Measurement) => Record<string, number>) => {
    const all: Record<string, number> = {}
    for (const m of r.runs) for (const [k, v] of Object.entries(f(m))) all[k] = (all[k] ?? 0) + v
    return all
  }
  const statuses = merge((m) => m.load.statuses)
  const errors = merge((m) => m.load.errors)
  const unreadable = merge((m) => m.load.unreadable)
  const bad =
    sum((m) => m.load.missing + m.load.duplicate + m.load.late + m.load.wrong) + Object.keys(statuses).length + Object.keys(errors).length + Object.keys(unreadable).length
  return (
    `correctness ${r.label}: ${int(sum((m) => m.load.sent))} sent · ${int(sum((m) => m.load.replies))} replied once · ${sum((m) => m.load.missing)} missing · ` +
    `${sum((m) => m.load.duplicate)} duplicate · ${sum((m) => m.load.late)} late · ${sum((m) => m.load.wrong)} wrong · ` +
    (passive ? `${int(sum((m) => m.load.inAnswer))} passive replies · ` : '') +
    `webhook non-2xx: ${counts(statuses) || 'none'} · errors: ${counts(errors) || 'none'} · ` +
    `${Object.keys(unreadable).length > 0 ? `answers refused: ${counts(unreadable)} · ` : ''}typing ${sum((m) => m.load.typing)} ${mark(bad === 0)}`
  )
}
