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
  #flushing: Promise<void> | undefined
  #scheduled = false

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
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
  async drain(): Promise<void> {
    while (this.#waiting.length > 0 || this.#flushing || this.#scheduled) {
      await (this.#flushing ?? new Promise((r) => setImmediate(r)))
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined
        if (this.#waiting.length > 0) this.#schedule()
      })
    })
  }

  async #flush(): Promise<void> {
    const batch = this.#waiting.splice(0, this.maxBatch)
    try {
      const results = await this.run(batch.map((w) => w.item))
      batch.forEach((w, i) => w.resolve(results[i] as O))
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error)
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
