import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Middleware } from 'koa'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD'

/**
 * Routes a channel instance serves. Paths are relative: `post('/webhook')` on instance
 * `tg-support` of tenant `acme` answers `POST /t/acme/tg-support/webhook`. Requests reach the
 * handler with their raw body unread (signatures are computed over raw bytes).
 */
export interface RouteRegistrar {
  route(method: HttpMethod, path: string, handler: Middleware): void
  /** A path directly under the tenant (`/t/<tenant>/<name>/…`), only for the manifest's reservedPaths. */
  reserved(name: string, method: HttpMethod, path: string, handler: Middleware): void
  /** The public path of a route, for registering webhooks with platforms. */
  pathOf(path: string): string
}

/**
 * Answers an upgrade request that will not become a socket with a plain HTTP response. The body
 * is the error code, so a client sees why without guessing from the status alone.
 */
export function refuseUpgrade(socket: Duplex, status: 403 | 404 | 429 | 503, code: string, headers: Record<string, string> = {}): void {
  const reason = { 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status]
  const body = `${code}\n`
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`)
}

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

export interface UpgradeRegistrar {
  /** Handles WebSocket upgrades on `/t/<tenant>/<name>`, a reserved path of the manifest. */
  reserved(name: string, handler: UpgradeHandler): void
}
