/**
 * How far a reply that takes several platform sends got before it had to stop (a rate-governor
 * wait, a 429), so its retry continues after the last send that went out instead of showing the
 * first half twice. Bounded: past `limit` replies the oldest are forgotten, and such a reply would
 * start over.
 */
export class SendProgress<T> {
  readonly #entries = new Map<string, T>()

  constructor(private readonly limit = 10_000) {}

  get(deliveryId: string): T | undefined {
    return this.#entries.get(deliveryId)
  }

  /** Remembers where the reply stopped, as the newest entry. */
  keep(deliveryId: string, progress: T): void {
    this.#entries.delete(deliveryId)
    this.#entries.set(deliveryId, progress)
    if (this.#entries.size > this.limit) this.#entries.delete(this.#entries.keys().next().value!)
  }

  /** The reply is done with (sent, or given up): nothing to resume. */
  forget(deliveryId: string): void {
    this.#entries.delete(deliveryId)
  }
}
