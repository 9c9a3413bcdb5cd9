import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * The connections a fake platform's server holds: counted (a stopped channel must leave none
 * open), requests held unanswered on purpose (the "crashed before it was sent" case), and all
 * destroyed when the fake closes.
 */
export class FakeConnections {
  readonly #sockets = new Set<Socket>()
  readonly #held = new Set<ServerResponse>()

  constructor(
    private readonly server: Server,
    onClosed?: () => void,
  ) {
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => {
        this.#sockets.delete(socket)
        onClosed?.()
      })
    })
  }

  get open(): number {
    return this.#sockets.size
  }

  /** Leaves a request unanswered until releaseHeld() or close(). */
  hold(res: ServerResponse): void {
    this.#held.add(res)
    res.on('close', () => this.#held.delete(res))
  }

  /** Cuts every held request without an answer; returns how many there were. */
  releaseHeld(): number {
    const count = this.#held.size
    for (const res of this.#held) res.socket?.destroy()
    this.#held.clear()
    return count
  }

  /** Stops the server and destroys every connection, held or idle. */
  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const socket of this.#sockets) socket.destroy()
    this.#held.clear()
    await stopped
  }
}

/** A delay the fake's close() can cancel (its timers go in `timers`). */
export const trackedSleep = (ms: number, timers: Set<NodeJS.Timeout>) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      resolve()
    }, ms)
    timers.add(timer)
  })

/** A request body as text (fakes take whatever a client sends; limits are the gateway's job). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
