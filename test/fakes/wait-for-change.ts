import type { EventEmitter } from 'node:events'

export interface WaitOptions {
  timeoutMs: number
  /** What the rejection says was going on, read when it gives up. */
  describe: () => string
  /** Re-checks on a beat too, for predicates that depend on the clock or on the caller's own state. */
  beatMs?: number
}

/**
 * Resolves with the predicate's first truthy value, checked now and on every 'change' the fake
 * emits; rejects when it throws or after `timeoutMs`. Leaves no listener or timer behind.
 */
export function waitForChange<T>(changes: EventEmitter, predicate: () => T | undefined | null | false, options: WaitOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const check = () => {
      let value: T | undefined | null | false
      try {
        value = predicate()
      } catch (error) {
        finish()
        return reject(error)
      }
      if (value) {
        finish()
        resolve(value)
      }
    }
    const beat = options.beatMs === undefined ? undefined : setInterval(check, options.beatMs)
    const timer = setTimeout(() => {
      finish()
      reject(new Error(options.describe()))
    }, options.timeoutMs)
    const finish = () => {
      clearInterval(beat)
      clearTimeout(timer)
      changes.off('change', check)
    }
    changes.on('change', check)
    check()
  })
}
