/** Exponential from 1 s, capped at `capMs`, with jitter so replicas that failed together do not retry together. */
export const backoff = (attempt: number, capMs = 60_000): number => Math.round(Math.min(capMs, 1000 * 2 ** Math.min(Math.max(attempt, 1) - 1, 16)) * (1 + Math.random() * 0.2))

/** Waits `ms`, or less when `signal` aborts; never leaves its timer or listener behind. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
