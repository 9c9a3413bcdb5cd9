import { randomUUID } from 'node:crypto'
import WebSocket from 'ws'

export interface Frame {
  type: string
  [key: string]: unknown
}

export interface BotMessage extends Frame {
  type: 'message'
  id: string
  seq: number
  turn_id?: string
  text: string
}

/**
 * A web-chat visitor for tests: speaks the protocol, remembers its token and last seq like the
 * widget does, and lets a test read like the conversation it checks.
 */
export class ChatClient {
  ws!: WebSocket
  token: string | undefined
  lastSeq = 0
  readonly frames: Frame[] = []
  readonly messages: BotMessage[] = []
  closeCode: number | undefined
  #waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = []
  #cursor = 0

  constructor(
    readonly url: string,
    readonly options: { origin?: string } = {},
  ) {}

  /** Opens the socket (resolves on open, rejects with the HTTP status of a refused upgrade). */
  open(): Promise<this> {
    this.closeCode = undefined
    this.#cursor = this.frames.length
    this.ws = new WebSocket(this.url, { headers: this.options.origin ? { Origin: this.options.origin } : {} })
    this.ws.on('message', (data) => this.#onFrame(JSON.parse(data.toString()) as Frame))
    this.ws.on('close', (code) => {
      this.closeCode = code
      for (const w of this.#waiters.splice(0)) w.resolve({ type: '__closed', code })
    })
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve(this))
      this.ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })))
      this.ws.once('error', reject)
    })
  }

  /** Connects and says hello, resuming from the remembered token and seq when there is one. */
  async connect(): Promise<Frame> {
    await this.open()
    this.sendRaw({ type: 'hello', ...(this.token ? { token: this.token, after_seq: this.lastSeq } : {}) })
    const welcome = await this.next((f) => f.type === 'welcome' || f.type === 'error')
    if (welcome.type === 'welcome') this.token = welcome.token as string
    return welcome
  }

  sendRaw(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Sends a message and waits for its ack. */
  async say(text: string, clientId: string = randomUUID()): Promise<Frame> {
    this.sendRaw({ type: 'message', client_id: clientId, text })
    return this.next((f) => (f.type === 'ack' || f.type === 'error') && f.client_id === clientId)
  }

  /** The next bot message not yet read by a test. */
  async reply(): Promise<BotMessage> {
    return (await this.next((f) => f.type === 'message')) as BotMessage
  }

  /** Waits for the first unread frame that matches, from where this connection's reading stands. */
  next(match: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    for (let i = this.#cursor; i < this.frames.length; i++) {
      const frame = this.frames[i]!
      if (match(frame)) {
        this.frames.splice(i, 1)
        return Promise.resolve(frame)
      }
    }
    if (this.closeCode !== undefined) return Promise.resolve({ type: '__closed', code: this.closeCode })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs)
      this.#waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer)
          resolve(f)
        },
      })
    })
  }

  closed(): Promise<number> {
    if (this.closeCode !== undefined) return Promise.resolve(this.closeCode)
    return new Promise((resolve) => this.ws.once('close', (code) => resolve(code)))
  }

  close(): void {
    this.ws?.close()
  }

  #onFrame(frame: Frame): void {
    if (frame.type === 'draft') {
      // Kept apart from other frames: a streamed reply sends many, and tests read them as a whole.
      const turnId = frame.turn_id as string
      this.drafts.set(turnId, [...(this.drafts.get(turnId) ?? []), frame.delta as string])
      return
    }
    if (frame.type === 'message') {
      const message = frame as BotMessage
      // Like the widget: a seq already seen is a duplicate delivery and is not shown twice.
      if (message.seq <= this.lastSeq) {
        this.duplicates.push(message)
        return
      }
      this.lastSeq = message.seq
      this.messages.push(message)
    }
    if (frame.type === 'token' || frame.type === 'welcome') this.token = frame.token as string
    const waiter = this.#waiters.findIndex((w) => w.match(frame))
    if (waiter >= 0) this.#waiters.splice(waiter, 1)[0]!.resolve(frame)
    else this.frames.push(frame)
  }

  readonly duplicates: BotMessage[] = []
  /** Streamed deltas per turn, in arrival order. */
  readonly drafts = new Map<string, string[]>()
}
