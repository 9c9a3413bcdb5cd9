/**
 * A small least-recently-used map whose entries also expire: for what the database already holds
 * and a turn only wants to avoid rereading (a customer, a conversation's live handoff).
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>()

  constructor(
    private readonly options: { max: number; ttlMs: number; now?: () => number },
  ) {}

  get(key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    this.#entries.delete(key)
    if (entry.until <= this.#now()) return undefined
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
    this.#entries.set(key, entry)
    return entry.value
  }

  set(key: string, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, { value, until: this.#now() + this.options.ttlMs })
    if (this.#entries.size > this.options.max) this.#entries.delete(this.#entries.keys().next().value!)
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  #now(): number {
    return this.options.now?.() ?? Date.now()
  }
}
