import type { Handoff } from '../../core/index.js'

/** Fewer taken handoffs than this, and the configured per-place wait is quoted instead. */
export const MIN_HISTORY = 5

/**
 * Pure: the minutes to quote per place in line: the median wait of recently taken handoffs, or the
 * configured figure while there is too little history to trust.
 */
export function minutesPerPosition(recent: readonly Pick<Handoff, 'queuedAt' | 'assignedAt'>[], configured: number): number {
  const waits = recent.flatMap((h) => (h.assignedAt ? [(h.assignedAt.getTime() - h.queuedAt.getTime()) / 60_000] : [])).sort((a, b) => a - b)
  return waits.length >= MIN_HISTORY ? median(waits) : configured
}

/** Whole minutes, at least one: nobody is promised "0 minutes". */
export const expectedWaitMinutes = (position: number, perPosition: number): number => Math.max(1, Math.ceil(position * perPosition))

const median = (sorted: readonly number[]) => {
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
