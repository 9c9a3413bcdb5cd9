/**
 * "typing…" in Telegram lasts about 5 s, so it is sent again every `intervalMs` while a turn runs:
 * one timer per chat, cleared when the turn ends or the channel stops, and given up after `maxMs`
 * so an "off" that never came cannot keep a chat typing forever.
 */
export class TypingIndicators {
  readonly #timers = new Map<string, NodeJS.Timeout>()

  constructor(
    private readonly show: (conversationId: string) => Promise<void>,
    private readonly options: { intervalMs: number; maxMs: number; now?: () => number },
  ) {}

  set(conversationId: string, on: boolean): void {
    if (!on) return this.#clear(conversationId)
    if (this.#timers.has(conversationId)) return
    const now = this.options.now ?? Date.now
    const until = now() + this.options.maxMs
    const tick = () => {
      if (now() >= until) return this.#clear(conversationId)
      void this.show(conversationId)
    }
    this.#timers.set(conversationId, setInterval(tick, this.options.intervalMs))
    tick()
  }

  /** Chats showing "typing…" right now. */
  get active(): number {
    return this.#timers.size
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearInterval(timer)
    this.#timers.clear()
  }

  #clear(conversationId: string): void {
    clearInterval(this.#timers.get(conversationId))
    this.#timers.delete(conversationId)
  }
}
