interface Waiting<I, O> {
  item: I
  resolve: (value: O) => void
  reject: (error: unknown) => void
}

/**
 * Group commit: callers push one item each and await their own result, while the queue hands
 * everything that arrived during the previous flush to `run` as one batch. Under load a batch is
 * one multi-row statement instead of hundreds of single-row round trips; when idle it costs one
 * macrotask of latency.
 */
export class BatchQueue<I, O> {
  #waiting: Waiting<I, O>[] = []
  #inFlight = 0
  #idle: (() => void)[] = []
  #scheduled = false

  /**
   * @param concurrency batches written at once: 1 for a single connection (PGlite); a few for a
   * pool, so one batch's round trip does not hold back the next.
   */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: {
      maxBatch?: number
      concurrency?: number
      /** Whether a failed batch is worth splitting: only when one item's data can be the cause. */
      isolate?: (error: unknown) => boolean
      /**
       * Items of different partitions never share a run: a batch is split by partition and the
       * runs go concurrently, each succeeding or failing on its own — so one tenant's failed
       * transaction never fails (or, retried item by item, writes twice) another tenant's items.
       */
      partition?: (item: I) => string
    } = {},
  ) {}

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject })
      this.#schedule()
    })
  }

  get size(): number {
    return this.#waiting.length
  }

  /** Resolves once everything pushed so far has been written. */
  drain(): Promise<void> {
    if (this.#waiting.length === 0 && this.#inFlight === 0 && !this.#scheduled) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= (this.options.concurrency ?? 1)) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      if (this.#waiting.length === 0) return this.#wakeIfIdle()
      this.#inFlight++
      void this.#flush().finally(() => {
        this.#inFlight--
        if (this.#waiting.length > 0) this.#schedule()
        else this.#wakeIfIdle()
      })
      if (this.#waiting.length > 0) this.#schedule()
    })
  }

  #wakeIfIdle(): void {
    if (this.#waiting.length === 0 && this.#inFlight === 0 && !this.#scheduled) for (const wake of this.#idle.splice(0)) wake()
  }

  async #flush(): Promise<void> {
    const batch = this.#waiting.splice(0, this.options.maxBatch ?? 500)
    const { partition } = this.options
    if (!partition) return this.#settle(batch)
    const groups = new Map<string, Waiting<I, O>[]>()
    for (const waiting of batch) {
      const key = partition(waiting.item)
      const group = groups.get(key)
      if (group) group.push(waiting)
      else groups.set(key, [waiting])
    }
    await Promise.all([...groups.values()].map((group) => this.#settle(group)))
  }

  async #settle(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item))
      batch.forEach((w, i) => w.resolve(results[i] as O))
    } catch (error) {
      if (batch.length === 1 || !(this.options.isolate?.(error) ?? true)) {
        for (const w of batch) w.reject(error)
        return
      }
      // One bad item must not fail its neighbours: try each alone, so only its caller sees the error.
      for (const w of batch) {
        try {
          w.resolve((await this.run([w.item]))[0] as O)
        } catch (single) {
          w.reject(single)
        }
      }
    }
  }
}
