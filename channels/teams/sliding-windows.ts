import type { RateRule } from '../../core/index.js'

/** Windows longer than this are left to the shared governor alone (a log per key would grow too long). */
const MAX_LOCAL_WINDOW_SECONDS = 60
/** Keys (conversations) remembered; beyond it the least recently used is forgotten. */
const MAX_KEYS = 10_000

/**
 * The sends this replica made per key in the last minute, checked against sliding windows.
 *
 * The shared rate governor counts in fixed windows that start at a key's first send. Teams
 * counts "N in any W seconds"; a fixed window allows N at the end of one window and N more at
 * the start of the next, 2N within W, and Teams answers 429. This log closes that gap for the
 * short windows (1 s, 2 s, 30 s), where bursts meet it; `marginMs` widens each window to cover
 * the time a request takes to reach Teams, whose clock decides.
 */
export class SlidingWindows {
  readonly #rules: { points: number; windowMs: number }[]
  readonly #keepMs: number
  readonly #log = new Map<string, number[]>()

  constructor(
    rules: readonly RateRule[],
    marginMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#rules = rules.filter((r) => r.seconds <= MAX_LOCAL_WINDOW_SECONDS).map((r) => ({ points: r.points, windowMs: r.seconds * 1000 + marginMs }))
    this.#keepMs = Math.max(0, ...this.#rules.map((r) => r.windowMs))
  }

  /** Milliseconds until `key` may send again under every window; 0 when it may now. */
  waitMs(key: string): number {
    const times = this.#recent(key)
    if (!times) return 0
    const now = this.now()
    let wait = 0
    // Times are in send order, so a window is full exactly when the `points`-th latest send is in it.
    for (const { points, windowMs } of this.#rules) {
      const oldestCounted = times[times.length - points]
      if (oldestCounted !== undefined && oldestCounted > now - windowMs) wait = Math.max(wait, oldestCounted + windowMs - now + 1)
    }
    return wait
  }

  record(key: string): void {
    if (this.#rules.length === 0) return
    const times = this.#recent(key) ?? []
    times.push(this.now())
    this.#log.delete(key)
    this.#log.set(key, times)
    if (this.#log.size > MAX_KEYS) this.#log.delete(this.#log.keys().next().value!)
  }

  #recent(key: string): number[] | undefined {
    const times = this.#log.get(key)
    if (!times) return undefined
    const cutoff = this.now() - this.#keepMs
    let expired = 0
    while (expired < times.length && times[expired]! <= cutoff) expired++
    if (expired === times.length) {
      this.#log.delete(key)
      return undefined
    }
    if (expired > 0) times.splice(0, expired)
    return times
  }
}
