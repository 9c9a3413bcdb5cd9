import { originAllowed } from '../plugin/origin.js'
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { RateLimiterMemory } from 'rate-limiter-flexible'
import { WebSocketServer } from 'ws'
import { refuseUpgrade } from '../plugin/routes.js'
import { ConsoleHub } from './hub.js'
import { CloseCode } from './protocol.js'
import { ConsoleSocket, type ConsoleSocketDeps } from './socket.js'
import type { SupportEvents } from '../support/ports.js'

export const CONSOLE_SOCKET_PATH = '/console/ws'
const HEARTBEAT_MS = 30_000
// The auth frame is a few hundred bytes; nothing else is read.
const MAX_FRAME_BYTES = 8 * 1024
const CONNECTIONS_PER_MINUTE = 60
const CLOSE_GRACE_MS = 1_000

export interface ConsoleSocketsDeps extends Omit<ConsoleSocketDeps, 'hub'> {
  events: SupportEvents
  clientAddress(request: IncomingMessage): string
}

/** The console's live feed: accepts sockets on /console/ws, keeps them alive, closes them all at shutdown. */
export function createConsoleSockets(deps: ConsoleSocketsDeps) {
  const hub = new ConsoleHub(deps.events)
  const sockets = new Set<ConsoleSocket>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false })
  const connections = new RateLimiterMemory({ points: CONNECTIONS_PER_MINUTE, duration: 60 })
  const socketDeps: ConsoleSocketDeps = { ...deps, hub }
  let closed: Promise<void> | undefined

  const heartbeat = setInterval(() => {
    for (const socket of sockets) {
      if (!socket.alive) {
        socket.ws.terminate()
        continue
      }
      socket.alive = false
      socket.ws.ping()
      void socket.recheck().catch((error: unknown) => deps.log.warn({ err: error }, 'console session recheck failed'))
    }
  }, HEARTBEAT_MS)
  heartbeat.unref()

  return {
    handles: (request: IncomingMessage) => pathOf(request) === CONSOLE_SOCKET_PATH,
    upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, closing: boolean): void {
      if (closing || closed) return refuseUpgrade(socket, 503, 'SB_ERR_SHUTTING_DOWN')
      // The console page is served by the gateway itself: a browser's Origin must name this host.
      if (!originAllowed(request.headers.origin, request.headers.host, [])) return refuseUpgrade(socket, 403, 'SB_ERR_ORIGIN_FORBIDDEN')
      connections.consume(deps.clientAddress(request)).then(
        () =>
          wss.handleUpgrade(request, socket, head, (ws) => {
            const agentSocket = new ConsoleSocket(ws, socketDeps)
            sockets.add(agentSocket)
            ws.once('close', () => sockets.delete(agentSocket))
          }),
        (limited: { msBeforeNext?: number }) => refuseUpgrade(socket, 429, 'SB_ERR_RATE_LIMITED', { 'Retry-After': String(Math.ceil((limited.msBeforeNext ?? 60_000) / 1000)) }),
      )
    },
    /** Idempotent: the gateway closes consoles early in its shutdown, and again with its scope. */
    close(): Promise<void> {
      closed ??= (async () => {
        clearInterval(heartbeat)
        const open = [...sockets]
        sockets.clear()
        for (const socket of open) socket.close(CloseCode.goingAway, 'gateway shutting down; reconnect shortly')
        // The server waits for upgraded sockets; a console that does not answer the close is cut off.
        const answered = Promise.all(open.map((socket) => (socket.ws.readyState === socket.ws.CLOSED ? undefined : once(socket.ws, 'close').catch(() => undefined))))
        await Promise.race([answered, delay(CLOSE_GRACE_MS, undefined, { ref: false })])
        for (const socket of open) socket.ws.terminate()
        await new Promise<void>((resolve) => wss.close(() => resolve()))
      })()
      return closed
    },
  }
}

const pathOf = (request: IncomingMessage) => (request.url ?? '').split('?')[0]
