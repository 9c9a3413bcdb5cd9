/** Why an attempt's signal fired, as far as this service is concerned. */
export type StopReason =
  /** The per-attempt timeout: the provider was too slow, which the breaker should hear about. */
  | 'timeout'
  /** The caller's deadline came first: a slow provider is not proven, so the breaker is not told. */
  | 'deadline'
  /** The caller (or the plugin's scope) gave up. */
  | 'aborted'

/**
 * The signal one attempt runs under: the caller's signal, the plugin's lifetime, the per-attempt
 * timeout and the caller's deadline, whichever comes first, remembering which one it was (the SDK
 * only ever reports "aborted").
 */
export class Attempt {
  readonly #controller = new AbortController()
  readonly #outer: AbortSignal[]
  #timer: NodeJS.Timeout | undefined
  #stopped: StopReason | undefined

  constructor(
    private readonly timeoutMs: number,
    private readonly deadline: number | undefined,
    outer: (AbortSignal | undefined)[],
  ) {
    this.#outer = outer.filter((s): s is AbortSignal => s !== undefined)
    for (const signal of this.#outer) {
      if (signal.aborted) this.#stop('aborted')
      else signal.addEventListener('abort', this.#onAbort, { once: true })
    }
    this.restart()
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  get stopped(): StopReason | undefined {
    return this.#stopped
  }

  /** Starts the timeout over: called on every streamed chunk, so only silence times out. */
  restart(): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    const untilDeadline = this.deadline === undefined ? Infinity : this.deadline - Date.now()
    const byDeadline = untilDeadline < this.timeoutMs
    this.#timer = setTimeout(() => this.#stop(byDeadline ? 'deadline' : 'timeout'), Math.max(0, Math.min(this.timeoutMs, untilDeadline)))
  }

  dispose(): void {
    clearTimeout(this.#timer)
    for (const signal of this.#outer) signal.removeEventListener('abort', this.#onAbort)
  }

  readonly #onAbort = () => this.#stop('aborted')

  #stop(reason: StopReason): void {
    if (this.#stopped) return
    this.#stopped = reason
    clearTimeout(this.#timer)
    this.#controller.abort(new Error(`llm attempt stopped: ${reason}`))
  }
}

/** Milliseconds until `deadline`, or Infinity without one. */
export const timeLeft = (deadline: number | undefined): number => (deadline === undefined ? Infinity : deadline - Date.now())

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
/**
 * Waits `ms` unless one of the signals aborts first. Listens to each signal itself: AbortSignal.any
 * over the plugin's long-lived signal would keep every derived signal alive on Node 20
 * (nodejs/node#55351).
 */
export function pause(ms: number, signals: readonly (AbortSignal | undefined)[]): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined)
  return new Promise((resolve, reject) => {
    const aborted = live.find((s) => s.aborted)
    if (aborted) return reject(aborted.reason)
    const done = () => {
      clearTimeout(timer)
      for (const s of live) s.removeEventListener('abort', onAbort)
    }
    const onAbort = (event: Event) => {
      done()
      reject((event.target as AbortSignal).reason)
    }
    const timer = setTimeout(() => {
      done()
      resolve()
    }, ms)
    for (const s of live) s.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Settles with `work`, or rejects when `signal` aborts first. For calls that take no signal
 * (LangChain's embeddings); the abandoned request ends at the SDK's own timeout.
 */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {})
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
