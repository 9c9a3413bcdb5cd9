import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'
import type { DependencyContainer } from 'tsyringe'
import type { ApiKeyStore } from '../admin/auth/api-keys.js'
import type { OidcVerifier } from '../admin/auth/oidc.js'
import { Tokens } from '../di/tokens.js'
import type { TenantManager } from '../tenancy/tenant-manager.js'
import { consoleRoutes } from './http.js'
import { loadConsoleAssets } from './page.js'
import { ConsoleSessions } from './session.js'
import { signIn } from './sign-in.js'
import { createConsoleSockets } from './sockets.js'

export interface ConsoleDeps {
  root: DependencyContainer
  tenants: TenantManager
  keys: ApiKeyStore
  oidc?: OidcVerifier
  secret: Uint8Array
  log: Logger
  clientAddress(request: IncomingMessage): string
}

export interface AgentConsole {
  http: Middleware
  handlesUpgrade(request: IncomingMessage): boolean
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, closing: boolean): void
  close(): Promise<void>
}

/**
 * The agents' web console: its page, sign-in (an agent's key or token → a console session) and
 * the live feed of its tenant's support events. Everything an agent does goes through the admin
 * API, which accepts the session.
 */
export function createConsole(deps: ConsoleDeps): AgentConsole {
  const clock = deps.root.resolve(Tokens.Clock)
  const sessions = new ConsoleSessions(deps.secret, deps.keys, clock)
  const sockets = createConsoleSockets({
    sessions,
    events: deps.root.resolve(Tokens.SupportEvents),
    handoffs: deps.root.resolve(Tokens.Handoffs),
    log: deps.log,
    now: () => clock.now(),
    clientAddress: deps.clientAddress,
  })
  let assets: ReturnType<typeof loadConsoleAssets> | undefined
  const http = consoleRoutes({
    assets: () => (assets ??= loadConsoleAssets()),
    signIn: signIn({
      keys: deps.keys,
      oidc: deps.oidc,
      sessions,
      audit: deps.root.resolve(Tokens.Audit),
      bodyLimitBytes: deps.root.resolve(Tokens.GatewayConfig).admin.bodyLimitBytes,
      clientAddress: (ctx) => deps.clientAddress(ctx.req),
      tenantRunning: (tenant) => deps.tenants.get(tenant) !== undefined,
    }),
  })
  return { http, handlesUpgrade: sockets.handles, upgrade: sockets.upgrade, close: sockets.close }
}
