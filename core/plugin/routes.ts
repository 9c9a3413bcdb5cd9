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

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

export interface UpgradeRegistrar {
  /** Handles WebSocket upgrades on `/t/<tenant>/<name>`, a reserved path of the manifest. */
  reserved(name: string, handler: UpgradeHandler): void
}
