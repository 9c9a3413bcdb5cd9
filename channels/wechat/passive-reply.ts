/** What became of a reply handed to a waiting callback. */
export type PassiveResult =
  /** The response carrying it was written out in full. */
  | 'sent'
  /** The connection closed while it was being written: WeChat may or may not have it. */
  | 'unknown'
  /** It was never written (the callback could not use it): send it another way. */
  | 'declined'

/** A reply offered to a waiting callback, to be answered with and then settled. */
export interface PassiveOffer {
  text: string
  settle(result: PassiveResult): void
}

interface Waiter {
  resolve(offer: PassiveOffer | undefined): void
  timer: NodeJS.Timeout
}

/**
 * Callbacks waiting for their turn's first reply, so it can be the HTTP answer itself (a passive
 * reply: no API call, no quota) instead of `success` followed by the API. One waiter per turn:
 * a redelivery of the message replaces the earlier request's waiter, since WeChat only listens
 * for the answer to its latest attempt. In-process by nature: the reply must come back through
 * the very connection WeChat opened.
 */
export class PassiveReplies {
  readonly #waiting = new Map<string, Waiter>()

  /**
   * Waits up to `waitMs` for a reply of turn `turnId`; undefined when none came in time, the
   * request went away (`closed` fired), a newer request took over, or the channel stopped.
   */
  wait(turnId: string, waitMs: number, closed: { once(event: 'close', listener: () => void): unknown; off(event: 'close', listener: () => void): unknown }): Promise<PassiveOffer | undefined> {
    this.#release(turnId)
    return new Promise((resolve) => {
      const done = (offer: PassiveOffer | undefined) => {
        clearTimeout(waiter.timer)
        closed.off('close', gone)
        if (this.#waiting.get(turnId) === waiter) this.#waiting.delete(turnId)
        resolve(offer)
      }
      const gone = () => done(undefined)
      const waiter: Waiter = { resolve: done, timer: setTimeout(gone, waitMs) }
      closed.once('close', gone)
      this.#waiting.set(turnId, waiter)
    })
  }

  /**
   * Hands `text` to the callback waiting for turn `turnId`, if one is; resolves once it has been
   * written (or not). Undefined when no callback waits: the reply goes through the API.
   */
  offer(turnId: string, text: string): Promise<PassiveResult> | undefined {
    const waiter = this.#waiting.get(turnId)
    if (!waiter) return undefined
    this.#waiting.delete(turnId)
    return new Promise((resolve) => {
      let settled = false
      waiter.resolve({
        text,
        settle: (result) => {
          if (settled) return
          settled = true
          resolve(result)
        },
      })
    })
  }

  /** The callback waiting for turn `turnId`, if any, answers `success` now: its reply goes another way. */
  pass(turnId: string): void {
    this.#release(turnId)
  }

  /** Every waiting callback answers `success` now: the channel is stopping. */
  close(): void {
    for (const turnId of [...this.#waiting.keys()]) this.#release(turnId)
  }

  get size(): number {
    return this.#waiting.size
  }

  #release(turnId: string): void {
    this.#waiting.get(turnId)?.resolve(undefined)
  }
}
