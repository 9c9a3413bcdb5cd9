import type { Measurement, SubjectId } from './measure.js'
import type { Platform } from './messages.js'

/** The targets for the gateway, as ratios of msg/s measured in the same run. */
export const TARGETS = { sdk: 1.0, koa: 0.5 } as const

export interface GroupResult {
  platform: Platform
  sdkName: string
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

export function formatGroup(group: GroupResult): string {
  const rows = summarise(group)
  const lines: string[] = []
  const w = [32, 8, 8, 8, 19, 11, 8, 14, 12, 17, 10, 0]
  lines.push(pad(['subject', 'msg/s', 'p50 ms', 'p99 ms', 'server CPU µs/msg', '×SDK echo', '×Koa', 'server %core', 'load %core', 'postgres µs/msg', 'other %', 'msg/s by run'], w))
  for (const r of rows) {
    lines.push(
      pad(
        [
          r.label,
          int(r.msgsPerSecond),
          fixed(r.p50Ms),
          fixed(r.p99Ms),
          fixed(r.serverMicros, 0),
          ratio(r.xSdk),
          ratio(r.xKoa),
          fixed(r.serverPercent, 0),
          fixed(r.loadPercent, 0),
          fixed(r.postgresMicros, 0),
          fixed(r.otherPercent, 0),
          r.runs.map((m) => int(m.msgsPerSecond)).join(' / '),
        ],
        w,
      ),
    )
  }
  const gateway = rows.find((r) => r.id === 'switchboard')
  if (gateway) {
    lines.push(
      `targets (issue): Switchboard ≥ ${TARGETS.sdk.toFixed(1)}× ${group.sdkName} ${mark(gateway.xSdk >= TARGETS.sdk)} (${ratio(gateway.xSdk)})` +
        ` · ≥ ${TARGETS.koa.toFixed(1)}× bare Koa ${mark(gateway.xKoa >= TARGETS.koa)} (${ratio(gateway.xKoa)})`,
    )
    if (Number.isFinite(gateway.postgresRows)) {
      lines.push(
        `Switchboard's PostgreSQL work per reply: ${fixed(gateway.postgresMicros, 0)} µs CPU, ${fixed(gateway.postgresCommits, 2)} commits (database-wide counter), ${fixed(gateway.postgresRows)} rows written`,
      )
    }
  } else if (group.skipped) lines.push(`Switchboard not measured: ${group.skipped}`)
  for (const r of rows) {
    const sum = (f: (m: Measurement) => number) => r.runs.reduce((a, m) => a + f(m), 0)
    const merge = (f: (m: Measurement) => Record<string, number>) => {
      const all: Record<string, number> = {}
      for (const m of r.runs) for (const [k, v] of Object.entries(f(m))) all[k] = (all[k] ?? 0) + v
      return all
    }
    const statuses = merge((m) => m.load.statuses)
    const errors = merge((m) => m.load.errors)
    const bad = sum((m) => m.load.missing + m.load.duplicate + m.load.late + m.load.wrong) + Object.keys(statuses).length + Object.keys(errors).length
    lines.push(
      `correctness ${r.label}: ${int(sum((m) => m.load.sent))} sent · ${int(sum((m) => m.load.replies))} replied once · ${sum((m) => m.load.missing)} missing · ` +
        `${sum((m) => m.load.duplicate)} duplicate · ${sum((m) => m.load.late)} late · ${sum((m) => m.load.wrong)} wrong · ` +
        `webhook non-2xx: ${counts(statuses) || 'none'} · errors: ${counts(errors) || 'none'} · typing ${sum((m) => m.load.typing)} ${mark(bad === 0)}`,
    )
  }
  return lines.join('\n')
}
