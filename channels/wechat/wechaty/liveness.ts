/** wechaty-puppet's `ScanStatus`, by value. */
const SCAN_STATUS = ['in an unknown state', 'scan cancelled', 'waiting for a scan', 'scanned, waiting for confirmation on the phone', 'confirmed', 'expired']

type State =
  | { kind: 'starting' }
  | { kind: 'scanning'; status: number }
  | { kind: 'logged-in'; name: string }
  | { kind: 'logged-out'; reason: string }

/**
 * What the puppet last said about the account, for probe(). Wechaty documents `heartbeat` as "if
 * not, the bot has died"; a message counts as a sign of life too, since a puppet busy delivering
 * messages may beat less often.
 */
export class Liveness {
  #state: State = { kind: 'starting' }
  #lastSign = 0
  #lastError: string | undefined

  constructor(
    private readonly now: () => number,
    private readonly heartbeatTimeoutMs: number,
  ) {}

  scanning(status: number): void {
    this.#state = { kind: 'scanning', status }
  }

  loggedIn(name: string): void {
    this.#state = { kind: 'logged-in', name }
    this.alive()
  }

  loggedOut(reason: string | undefined): void {
    this.#state = { kind: 'logged-out', reason: reason || 'no reason given' }
  }

  alive(): void {
    this.#lastSign = this.now()
  }

  failed(message: string): void {
    this.#lastError = message
  }

  report(): { ok: boolean; detail: string } {
    const state = this.#state
    const error = this.#lastError ? `; last puppet error: ${this.#lastError}` : ''
    switch (state.kind) {
      case 'starting':
        return { ok: false, detail: `not logged in yet${error}` }
      case 'scanning':
        return { ok: false, detail: `not logged in: QR code ${SCAN_STATUS[state.status] ?? `status ${state.status}`}` }
      case 'logged-out':
        return { ok: false, detail: `logged out: ${state.reason}` }
      case 'logged-in': {
        const silentSeconds = Math.round((this.now() - this.#lastSign) / 1000)
        if (this.now() - this.#lastSign > this.heartbeatTimeoutMs) return { ok: false, detail: `logged in as ${state.name}, but no heartbeat from the puppet for ${silentSeconds} s${error}` }
        return { ok: true, detail: `logged in as ${state.name}; last sign of life ${silentSeconds} s ago` }
      }
    }
  }
}
