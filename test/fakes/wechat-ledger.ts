/**
 * The customer-service message quota of an Official Account (rules since 2023-06-12): a user's
 * message opens 5 sends for 48 h, a menu click, follow or QR scan opens 3 sends for 1 min, and a
 * new trigger of the same kind starts its allowance afresh. No open window, or an unfollow, is
 * 45015; an open window with its sends used up is 45047.
 */

export type Trigger = 'message' | 'click' | 'subscribe' | 'scan'

interface Allowance {
  until: number
  left: number
}

interface UserState {
  subscribed: boolean
  /** One allowance per kind of trigger: user messages, and menu/follow/scan events. */
  allowances: Map<'message' | 'event', Allowance>
}

const GRANTS: Record<Trigger, { kind: 'message' | 'event'; sends: number; windowMs: number }> = {
  message: { kind: 'message', sends: 5, windowMs: 48 * 3600_000 },
  click: { kind: 'event', sends: 3, windowMs: 60_000 },
  subscribe: { kind: 'event', sends: 3, windowMs: 60_000 },
  scan: { kind: 'event', sends: 3, windowMs: 60_000 },
}

export const OUT_OF_WINDOW = 45015
export const OVER_QUOTA = 45047

export class QuotaLedger {
  readonly #users = new Map<string, UserState>()

  /** `counting: false` keeps the windows and follows but stops counting sends. */
  constructor(
    private readonly now: () => number,
    private readonly counting: boolean,
  ) {}

  interact(user: string, trigger: Trigger): void {
    const state = this.#state(user)
    if (trigger === 'subscribe') state.subscribed = true
    const grant = GRANTS[trigger]
    state.allowances.set(grant.kind, { until: this.now() + grant.windowMs, left: grant.sends })
  }

  unsubscribe(user: string): void {
    const state = this.#state(user)
    state.subscribed = false
    state.allowances.clear()
  }

  /** 0 when `user` may be sent to now; the errcode otherwise. */
  check(user: string): number {
    return this.#open(user).length === 0 ? OUT_OF_WINDOW : 0
  }

  /** Uses one send: from the allowance that closes first, so none is wasted. */
  take(user: string): number {
    const open = this.#open(user)
    if (open.length === 0) return OUT_OF_WINDOW
    if (!this.counting) return 0
    const usable = open.filter((a) => a.left > 0).sort((a, b) => a.until - b.until)[0]
    if (!usable) return OVER_QUOTA
    usable.left--
    return 0
  }

  #open(user: string): Allowance[] {
    const state = this.#users.get(user)
    if (!state?.subscribed) return []
    const now = this.now()
    return [...state.allowances.values()].filter((a) => a.until > now)
  }

  #state(user: string): UserState {
    let state = this.#users.get(user)
    if (!state) this.#users.set(user, (state = { subscribed: true, allowances: new Map() }))
    return state
  }
}
