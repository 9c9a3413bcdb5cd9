import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'

/** Readings from /proc (Linux only): what a process costs, measured from the outside. */

export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

const statusField = (pid: number, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : NaN
}

/** Resident set size in bytes (VmRSS). */
export const rssBytes = (pid: number) => statusField(pid, 'VmRSS')
/** Peak resident set size in bytes (VmHWM). */
export const peakRssBytes = (pid: number) => statusField(pid, 'VmHWM')

/** User + system CPU time in clock ticks, or undefined when the process is gone. */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return undefined
  }
}

/** Every PostgreSQL server process on the machine (postmaster, backends, writers). */
export function postgresPids(): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry))
    } catch {
      // exited while we looked
    }
  }
  return pids
}

/** CPU ticks of a set of processes, keyed by pid (processes that exited are left out). */
export function ticksOf(pids: readonly number[]): Map<number, number> {
  const map = new Map<number, number>()
  for (const pid of pids) {
    const ticks = cpuTicks(pid)
    if (ticks !== undefined) map.set(pid, ticks)
  }
  return map
}

/** Ticks used between two readings; a process that appeared in between counts from zero. */
export function ticksBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0
  for (const [pid, ticks] of after) total += ticks - (before.get(pid) ?? 0)
  return total
}

/**
 * Busy and total ticks of the whole machine (all cores), from /proc/stat. Softirq is split out:
 * loopback TCP is processed there and is not charged to any process.
 */
export function machineTicks(): { busy: number; total: number; softirq: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[]
  const busy = user! + nice! + system! + irq! + softirq! + steal!
  return { busy, total: busy + idle! + iowait!, softirq: softirq! }
}

export function openFileLimit(): { soft: number; hard: number } {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  const parse = (v: string | undefined) => (v === undefined || v === 'unlimited' ? Infinity : Number(v))
  return { soft: parse(line?.[1]), hard: parse(line?.[2]) }
}

export function cpuModel(): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
  return match?.[1]?.trim() ?? 'unknown'
}
