import type { TranscriptEntry } from '../../core/index.js'

export interface ReplyWaiterDeps {
  /** The conversation's replies after a seq, in order (the transcript). */
  repliesAfter(conversationId: string, afterSeq: number): Promise<TranscriptEntry[]>
  /** False while the turn is still pending; once settled, its replies (if any) are all in the transcript. */
  settled(turnId: string): Promise<boolean>
  /** How often the transcript is read again for replies written by another replica. */
  pollMs: number
  /** Aborted when the channel stops: every wait ends at once, empty-handed. */
  signal: AbortSignal
}

/** Early wakes remembered; a turn forgotten here is found by the next poll instead. */
const EARLY_WAKES = 1000

/**
 * Holds a webhook until its turn's replies are in the transcript. The engine commits all replies
 * of a turn in one transaction and then hands each to send(), which wakes the webhook waiting here;
 * reading the transcript too means a webhook on another replica, or after a restart, finds them.
 */
export class ReplyWaiter {
  readonly #waiting = new Map<string, Set<() => void>>()
  /** Turns whose replies were handed over before their webhook began to wait (a race of microseconds). */
  readonly #early = new Set<string>()

  constructor(private readonly deps: ReplyWaiterDeps) {}

  /** Webhooks waiting right now. */
  get size(): number {
    let count = 0
    for (const wakers of this.#waiting.values()) count += wakers.size
    return count
  }

  /** A reply of `turnId` was committed; true when a webhook here was waiting for it. */
  wake(turnId: string): boolean {
    const wakers = this.#waiting.get(turnId)
    if (!wakers) {
      this.#early.add(turnId)
      if (this.#early.size > EARLY_WAKES) this.#early.delete(this.#early.values().next().value!)
      return false
    }
    for (const wake of wakers) wake()
    return true
  }

  /**
   * The replies of `turnId` (all of them: they are committed together), an empty list when the turn
   * settled without any, or undefined when none came within `withinMs`. A store failure rejects.
   * `justAccepted`: the turn was stored a moment ago, so nothing can be in the transcript yet and
   * the first look waits for the wake (or the next poll) instead of querying the store twice.
   */
  async replies(conversationId: string, turnId: string, afterSeq: number, withinMs: number, options: { justAccepted?: boolean } = {}): Promise<TranscriptEntry[] | undefined> {
    const deadline = performance.now() + withinMs
    let woken = false
    let stopSleeping: (() => void) | undefined
    const wake = () => {
      woken = true
      stopSleeping?.()
    }
    const wakers = this.#waiting.get(turnId) ?? new Set()
    wakers.add(wake)
    this.#waiting.set(turnId, wakers)
    let skipRead = options.justAccepted === true && !this.#early.delete(turnId)
    try {
      for (;;) {
        if (skipRead) {
          skipRead = false
          if (!woken) await this.#sleep(Math.min(withinMs, this.deps.pollMs), (stop) => (stopSleeping = stop))
          stopSleeping = undefined
          if (this.deps.signal.aborted) return undefined
        }
        // Woken while reading: the next read sees what woke us.
        woken = false
        const read = async () => (await this.deps.repliesAfter(conversationId, afterSeq)).filter((entry) => entry.turnId === turnId)
        const found = await read()
        if (found.length > 0) return found
        // Settled is checked before the second read: a commit between the first read and the check
        // is then seen, so "settled and nothing written" really means the turn said nothing.
        if (await this.deps.settled(turnId)) return read()
        const left = deadline - performance.now()
        if (left <= 0 || this.deps.signal.aborted) return undefined
        if (!woken) await this.#sleep(Math.min(left, this.deps.pollMs), (stop) => (stopSleeping = stop))
        stopSleeping = undefined
      }
    } finally {
      wakers.delete(wake)
      if (wakers.size === 0 && this.#waiting.get(turnId) === wakers) this.#waiting.delete(turnId)
    }
  }

  /** Sleeps `ms`, or less when woken or stopped; leaves no timer or listener behind. */
  #sleep(ms: number, onWake: (stop: () => void) => void): Promise<void> {
    const { signal } = this.deps
    return new Promise((resolve) => {
      const stop = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', stop)
        resolve()
      }
      const timer = setTimeout(stop, ms)
      signal.addEventListener('abort', stop, { once: true })
      onWake(stop)
    })
  }
}
