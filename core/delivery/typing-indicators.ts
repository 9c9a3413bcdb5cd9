export interface TypingOptions {
  /** How long the platform shows one indicator (Teams 3 s, Telegram 5 s): one per this long, at most. */
  intervalMs: number
  /** An indicator whose "off" never came stops after this long. */
  maxMs: number
  /**
   * `always` (default): two indicators are never closer than `intervalMs`, even across turns
   * (Teams asks for that). `while-on`: a new turn shows one at once, for platforms whose own
   * message already cleared the last one (Telegram).
   */
  spacing?: 'always' | 'while-on'
  now?: () => number
}

interface Running {
  timer: NodeJS.Timeout
  startedAt: number
}

/** Conversations whose last indicator time is kept after their turn; beyond it the oldest is forgotten. */
const MAX_REMEMBERED = 10_000

/**
 * Typing indicators while turns run, for channels whose indicator fades (Telegram, Teams): one at
 * once, then one every `intervalMs` until switched off, given up after `maxMs` so an "off" that
 * never came cannot keep a conversation typing; every timer goes on stop. With `spacing: always`
 * it never sends two less than `intervalMs` apart, however often turns switch it on and off
 * (Bot Framework activity spec A6001).
 */
export class TypingIndicators {
  readonly #running = new Map<string, Running>()
  readonly #lastSent = new Map<string, number>()
  readonly #now: () => number

  constructor(
    private readonly send: (conversationId: string) => Promise<void>,
    private readonly options: TypingOptions,
  ) {
    this.#now = options.now ?? Date.now
  }

  set(conversationId: string, on: boolean): void {
    if (!on) return this.#stop(conversationId)
    if (this.#running.has(conversationId)) return
    const running: Running = { startedAt: this.#now(), timer: undefined as unknown as NodeJS.Timeout }
    this.#running.set(conversationId, running)
    this.#pulse(conversationId, running)
  }

  /** Clears every timer: the channel is stopping. */
  stop(): void {
    for (const id of [...this.#running.keys()]) this.#stop(id)
  }

  get active(): number {
    return this.#running.size
  }

  #pulse(conversationId: string, running: Running): void {
    const now = this.#now()
    if (now - running.startedAt >= this.options.maxMs) return this.#stop(conversationId)
    const last = this.#lastSent.get(conversationId)
    if (last === undefined || now - last >= this.options.intervalMs) {
      this.#remember(conversationId, now)
      void this.send(conversationId).catch(() => {
        // Best effort: a lost indicator is not worth a log line per turn.
      })
    }
    const next = (this.#lastSent.get(conversationId) ?? now) + this.options.intervalMs - now
    running.timer = setTimeout(() => this.#pulse(conversationId, running), Math.max(1, next))
  }

  #stop(conversationId: string): void {
    const running = this.#running.get(conversationId)
    if (!running) return
    clearTimeout(running.timer)
    this.#running.delete(conversationId)
    if (this.options.spacing === 'while-on') this.#lastSent.delete(conversationId)
  }

  #remember(conversationId: string, at: number): void {
    this.#lastSent.delete(conversationId)
    this.#lastSent.set(conversationId, at)
    if (this.#lastSent.size > MAX_REMEMBERED) this.#lastSent.delete(this.#lastSent.keys().next().value!)
  }
}
