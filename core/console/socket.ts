import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import type { HandoffStore } from '../support/ports.js'
import type { ConsoleHub } from './hub.js'
import { AUTH_TIMEOUT_MS, CloseCode, decodeAuthFrame, encode } from './protocol.js'
import type { AgentPrincipal, ConsoleSessions } from './session.js'

export interface ConsoleSocketDeps {
  sessions: ConsoleSessions
  hub: ConsoleHub
  handoffs: HandoffStore
  log: Logger
  now: () => number
}

type State = 'auth' | 'authenticating' | 'loading' | 'ready' | 'closed'

// A console that stopped reading would hold memory forever; it reloads state when it reconnects.
const SLOW_CLIENT_BYTES = 1024 * 1024
// setTimeout's ceiling; sessions are far shorter, but a clock far behind must not fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * One agent console's socket: authenticates with its first frame, then receives its tenant's
 * queue and every support event of that tenant until it closes or its session ends.
 */
export class ConsoleSocket {
  state: State = 'auth'
  alive = true
  principal: AgentPrincipal | undefined
  #timer: NodeJS.Timeout
  /** Events that arrived while the queue was being read; sent right after `ready`. */
  #early: string[] = []

  constructor(
    readonly ws: WebSocket,
    private readonly deps: ConsoleSocketDeps,
  ) {
    this.#timer = setTimeout(() => this.refuse('SB_ERR_AUTH_REQUIRED', 'send { type: "auth", token } first, within 5 seconds'), AUTH_TIMEOUT_MS)
    ws.on('message', (data, isBinary) => this.#onFrame(isBinary ? undefined : (data as Buffer).toString('utf8')))
    ws.on('pong', () => {
      this.alive = true
    })
    ws.on('close', () => this.#onClose())
    ws.on('error', () => this.#onClose())
  }

  push(frame: string): void {
    if (this.state === 'loading') this.#early.push(frame)
    else if (this.state === 'ready') this.#send(frame)
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return
    this.ws.close(code, reason)
    this.#onClose()
  }

  /** Ends a session whose key was revoked since sign-in (asked on each heartbeat, cached). */
  async recheck(): Promise<void> {
    if (this.state !== 'ready' || !this.principal) return
    if (!(await this.deps.sessions.stillActive(this.principal))) this.refuse('SB_ERR_AUTH_INVALID', 'the credential behind this session was revoked; sign in again')
  }

  refuse(code: 'SB_ERR_AUTH_REQUIRED' | 'SB_ERR_AUTH_INVALID' | 'SB_ERR_AUTH_EXPIRED' | 'SB_ERR_RATE_LIMITED', message: string): void {
    this.#send(encode.error(code, message))
    this.close(code === 'SB_ERR_RATE_LIMITED' ? CloseCode.tooMany : CloseCode.unauthorized, message.slice(0, 120))
  }

  #send(frame: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return
    if (this.ws.bufferedAmount > SLOW_CLIENT_BYTES) return void this.ws.terminate()
    this.ws.send(frame)
  }

  #onFrame(data: string | undefined): void {
    if (this.state === 'closed') return
    if (this.state !== 'auth') {
      // Everything an agent does goes through the admin API, where it is authorised and audited.
      if (this.state === 'ready') this.#send(encode.error('SB_ERR_FRAME_INVALID', 'the console socket only carries events; act through the admin API'))
      return
    }
    const frame = data === undefined ? undefined : decodeAuthFrame(data)
    if (!frame) return this.refuse('SB_ERR_AUTH_REQUIRED', 'the first frame must be { type: "auth", token }')
    this.state = 'authenticating'
    this.#authenticate(frame.token).catch((error: unknown) => {
      this.deps.log.error({ err: error }, 'console socket failed to start')
      if (this.state !== 'closed') {
        this.#send(encode.error('SB_ERR_INTERNAL', 'the console could not load; reconnect shortly'))
        this.close(1011, 'internal error')
      }
    })
  }

  async #authenticate(token: string): Promise<void> {
    const session = await this.deps.sessions.verify(token)
    if (this.state === 'closed') return
    if (!session.ok) {
      const code = session.reason === 'expired' ? 'SB_ERR_AUTH_EXPIRED' : 'SB_ERR_AUTH_INVALID'
      return this.refuse(code, `console session ${session.reason}; sign in again`)
    }
    const { principal, expiresAt } = session
    if (!this.deps.hub.join(principal.tenant, this)) return this.refuse('SB_ERR_RATE_LIMITED', 'too many consoles are open for this tenant; close one and reconnect')
    this.principal = principal
    this.state = 'loading'
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.refuse('SB_ERR_AUTH_EXPIRED', 'the console session ended; sign in again'), Math.min(MAX_TIMER_MS, Math.max(0, expiresAt.getTime() - this.deps.now())))
    const queue = await this.deps.handoffs.queue(principal.tenant)
    if (this.state !== 'loading') return
    this.state = 'ready'
    this.#send(encode.ready(principal, queue))
    for (const frame of this.#early) this.#send(frame)
    this.#early = []
  }

  #onClose(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearTimeout(this.#timer)
    this.#early = []
    if (this.principal) this.deps.hub.leave(this.principal.tenant, this)
  }
}
