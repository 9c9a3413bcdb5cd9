import { requestIdFrom } from '../observability/request-id.js'
import Koa from 'koa'
import type Router from '@koa/router'
import { ADMIN_PREFIX } from '../admin/http/admin-router.js'
import { CONSOLE_PREFIX } from '../console/http.js'
import type { Logger } from 'pino'
import { isSwitchboardError, sbError } from '../errors.js'
import type { Metrics } from '../observability/metrics.js'
import type { HealthProbe } from './health.js'
import type { RouteTable } from './route-table.js'

/**
 * The HTTP surface: operations endpoints and the per-tenant channel routes. No body parser runs
 * here: channels read raw bodies themselves, since signatures are computed over raw bytes.
 */
export function createHttpApp(options: {
  routes: RouteTable
  metrics: Metrics
  log: Logger
  health: HealthProbe
  trustProxy: boolean
  admin?: Router
  /** The agent console's page and sign-in, under /console. */
  console?: Koa.Middleware
}): Koa {
  const { routes, metrics, log, health } = options
  const app = new Koa({ proxy: options.trustProxy })
  app.silent = true

  app.use(async (ctx, next) => {
    const requestId = requestIdFrom(ctx.get('x-request-id') || undefined)
    ctx.state.requestId = requestId
    ctx.set('X-Request-Id', requestId)
    ctx.set('X-Content-Type-Options', 'nosniff')
    const end = metrics.httpDuration.startTimer({ method: ctx.method })
    try {
      await next()
    } catch (error) {
      const known = isSwitchboardError(error) ? error : sbError('SB_ERR_INTERNAL')
      ctx.status = known.status
      // Platforms retry a refused webhook; this says when, so they do not retry into the same refusal.
      if (known.retryAfterMs !== undefined) ctx.set('Retry-After', String(Math.max(1, Math.ceil(known.retryAfterMs / 1000))))
      ctx.body = { error: { code: known.code, message: known.message, ...(known.details.length ? { details: known.details } : {}) } }
      if (known.status >= 500) log.error({ err: error, requestId, path: ctx.path }, 'request failed')
    } finally {
      end({ route: (ctx.state.route as string | undefined) ?? 'unmatched', status: String(ctx.status) })
    }
  })

  app.use(async (ctx, next) => {
    switch (ctx.path) {
      case '/healthz':
        ctx.state.route = '/healthz'
        ctx.body = { status: health.alive() ? 'ok' : 'down' }
        return
      case '/readyz': {
        ctx.state.route = '/readyz'
        const { ready, checks } = await health.ready()
        ctx.status = ready ? 200 : 503
        ctx.body = { status: ready ? 'ready' : 'not ready', checks }
        return
      }
      case '/metrics': {
        ctx.state.route = '/metrics'
        const { contentType, body } = await metrics.render()
        ctx.type = contentType
        ctx.body = body
        return
      }
    }
    await next()
  })

  if (options.admin) {
    // Webhooks and chat pages never walk the admin route list.
    const admin = options.admin.routes()
    app.use((ctx, next) => (ctx.path.startsWith(ADMIN_PREFIX) ? admin(ctx as Parameters<typeof admin>[0], next) : next()))
  }

  if (options.console) {
    const agentConsole = options.console
    app.use((ctx, next) => (ctx.path === CONSOLE_PREFIX || ctx.path.startsWith(`${CONSOLE_PREFIX}/`) ? agentConsole(ctx, next) : next()))
  }

  app.use(async (ctx, next) => {
    const match = /^\/t\/([^/]+)\/([^/]+)(\/.*)?$/.exec(ctx.path)
    if (match) {
      const [, tenant, segment, rest] = match
      const handler = routes.match(ctx.method, tenant!, segment!, rest ?? '/')
      if (handler) {
        ctx.state.route = `/t/:tenant/${segment === 'chat' || segment === 'ws' ? segment : ':instance'}${rest ?? ''}`
        ctx.state.tenant = tenant
        return handler(ctx, next)
      }
    }
    await next()
  })

  // One answer for every unknown path, tenant or instance: it must not reveal which tenants exist.
  app.use(async () => {
    throw sbError('SB_ERR_NOT_FOUND')
  })
  return app
}
