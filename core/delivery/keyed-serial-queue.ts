/**
 * Runs tasks one at a time per key, in the order they were queued, and different keys in
 * parallel: turns of one conversation never overlap, conversations never wait for each other.
 */
export class KeyedSerialQueue {
  readonly #tails = new Map<string, Promise<void>>()
  #inFlight = 0
  #idle: (() => void)[] = []

  /** Queues a task whose errors it handles itself; the queue goes on whatever happens. */
  run(key: string, task: () => Promise<void>): Promise<void> {
    return this.call(key, task).catch(() => {})
  }

  /** Queues a task and hands its caller the task's own result or error; the queue goes on either way. */
  call<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.#inFlight++
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const current = previous.then(task)
    const tail = current
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        if (this.#tails.get(key) === tail) this.#tails.delete(key)
        if (--this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake()
      })
    this.#tails.set(key, tail)
    return current
  }

  get pending(): number {
    return this.#inFlight
  }

  get keys(): number {
    return this.#tails.size
  }

  /** Resolves when nothing is queued or running, or after `timeoutMs` (false then). */
  drain(timeoutMs = Infinity): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(false), timeoutMs) : undefined
      this.#idle.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }
}
