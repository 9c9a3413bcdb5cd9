import type { Middleware } from 'koa'
import type { Scope } from '../di/scope.js'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { refuseUpgrade, type HttpMethod, type RouteRegistrar, type UpgradeHandler, type UpgradeRegistrar } from '../plugin/routes.js'

const normalise = (path: string) => (path === '' ? '/' : path.startsWith('/') ? path : `/${path}`)

/**
 * Channel routes under `/t/<tenant>/<segment>/…`, added and removed while the gateway runs (a
 * tenant starting, reloading or stopping). A reload starts the new channel instance before the
 * old one stops, so one path can have two registrations for a moment: the newest serves, and
 * undoing either leaves the other in place — a failed reload falls back to the old routes, a
 * finished one keeps the new.
 */
export class RouteTable {
  readonly #http = new Map<string, Middleware[]>()
  readonly #upgrades = new Map<string, UpgradeHandler[]>()

  match(method: string, tenant: string, segment: string, path: string): Middleware | undefined {
    const verb = method === 'HEAD' ? 'GET' : method
    return this.#http.get(`${tenant}/${segment} ${verb} ${normalise(path)}`)?.at(-1)
  }

  /** Hands a WebSocket upgrade to the channel that reserved its path, or refuses it. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, closing: boolean): void {
    // Node drops its own error handler once a socket is upgraded; a reset here must not crash us.
    socket.on('error', () => socket.destroy())
    const match = /^\/t\/([^/?]+)\/([^/?]+)\/?(?:\?.*)?$/.exec(request.url ?? '')
    const handler = match && this.#upgrades.get(`${match[1]}/${match[2]}`)?.at(-1)
    if (closing) return refuseUpgrade(socket, 503, 'SB_ERR_SHUTTING_DOWN')
    if (!handler) return refuseUpgrade(socket, 404, 'SB_ERR_NOT_FOUND')
    handler(request, socket, head)
  }

  registrar(options: { tenant: string; instance: string; reserved: readonly string[]; scope: Scope }): {
    http: RouteRegistrar
    upgrades: UpgradeRegistrar
  } {
    const { tenant, instance, reserved, scope } = options
    const claim = <V>(table: Map<string, V[]>, key: string, value: V) => {
      table.set(key, [...(table.get(key) ?? []), value])
      scope.onDispose(() => {
        const rest = (table.get(key) ?? []).filter((v) => v !== value)
        if (rest.length > 0) table.set(key, rest)
        else table.delete(key)
      }, `route ${key}`)
    }
    const checkReserved = (name: string) => {
      if (!reserved.includes(name)) throw new Error(`channel instance ${tenant}/${instance} did not reserve /t/${tenant}/${name}`)
    }
    return {
      http: {
        route: (method: HttpMethod, path: string, handler: Middleware) => claim(this.#http, `${tenant}/${instance} ${method} ${normalise(path)}`, handler),
        reserved: (name: string, method: HttpMethod, path: string, handler: Middleware) => {
          checkReserved(name)
          claim(this.#http, `${tenant}/${name} ${method} ${normalise(path)}`, handler)
        },
        pathOf: (path: string) => `/t/${tenant}/${instance}${normalise(path)}`,
      },
      upgrades: {
        reserved: (name: string, handler: UpgradeHandler) => {
          checkReserved(name)
          claim(this.#upgrades, `${tenant}/${name}`, handler)
        },
      },
    }
  }
}
