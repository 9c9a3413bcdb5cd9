import { Readable } from 'node:stream'
import Router from '@koa/router'
import type { Context } from 'koa'
import type { Logger } from 'pino'
import type { AuditLog } from '../../audit/audit-log.js'
import { PLATFORM_TENANT } from '../../store/database.js'
import { isSwitchboardError, sbError, type SwitchboardError } from '../../errors.js'
import type { TenantManager } from '../../tenancy/tenant-manager.js'
import type { ApiKeyStore } from '../auth/api-keys.js'
import { ApiKeyRequestError } from '../auth/api-keys.js'
import type { OidcVerifier } from '../auth/oidc.js'
import { can, visibleTenant, type Principal } from '../auth/rbac.js'
import { authenticate } from './authenticate.js'
import type { ConsoleSessions } from '../../console/session.js'
import { readJsonBody } from './body.js'
import { openApiDocument } from './openapi.js'
import type { AdminRoute } from './route.js'
import { validate } from './validate.js'

export const ADMIN_PREFIX = '/admin/v1'

export interface AdminRouterDeps {
  routes: readonly AdminRoute[]
  tenants: TenantManager
  keys: ApiKeyStore
  oidc: OidcVerifier | undefined
  audit: AuditLog
  log: Logger
  bodyLimitBytes: number
  clientAddress: (ctx: Context) => string
  /** Agent-console sessions (`sbc_…`), accepted like the credentials they were made from. */
  sessions?: ConsoleSessions
}

/**
 * The admin API: authenticate, find the tenant (404 when it is not visible to the principal, so
 * tenants cannot be discovered), authorise (403, audited), validate, run, audit — the audit entry
 * is durable before the response is sent.
 */
export function createAdminRouter(deps: AdminRouterDeps): Router {
  const router = new Router({ prefix: ADMIN_PREFIX })
  const document = openApiDocument(deps.routes, ADMIN_PREFIX)

  router.use(async (ctx, next) => {
    try {
      await next()
    } catch (error) {
      const known = asAdminError(error)
      if (known.status >= 500) deps.log.error({ err: error, requestId: ctx.state.requestId, path: ctx.path }, 'admin request failed')
      ctx.status = known.status
      if (known.retryAfterMs) ctx.set('Retry-After', String(Math.ceil(known.retryAfterMs / 1000)))
      if (known.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="switchboard-admin"')
      const path = known.details[0]?.path
      ctx.body = { error: { code: known.code, message: known.message, ...(path ? { path } : {}), ...(known.details.length > 1 ? { details: known.details } : {}) } }
    }
  })

  router.get('/openapi.json', (ctx) => {
    ctx.state.route = `${ADMIN_PREFIX}/openapi.json`
    ctx.body = document
  })

  for (const route of deps.routes) {
    router.register(route.path, [route.method], async (ctx) => {
      ctx.state.route = `${ADMIN_PREFIX}${route.path}`
      await handle(route, ctx, deps)
    })
  }
  return router
}

async function handle(route: AdminRoute, ctx: Context, deps: AdminRouterDeps): Promise<void> {
  const requestId = ctx.state.requestId as string
  const source = deps.clientAddress(ctx)
  const auth = await authenticate(ctx, deps.keys, deps.oidc, deps.sessions)
  if (!auth.ok) {
    deps.audit.recordThrottled(`auth:${source}`, {
      actor: { type: 'system', id: 'admin-api' },
      action: 'auth.failed',
      target: `${route.method} ${ADMIN_PREFIX}${route.path}`,
      outcome: 'denied',
      requestId,
      source,
      details: { reason: auth.reason },
    })
    throw sbError(auth.code, auth.reason)
  }
  const principal = auth.principal
  const actor = { type: principal.kind, id: principal.id } as const
  const params = validate(route.params, ctx.params, 'params') as Record<string, unknown>
  const tenantId = typeof params.tenant === 'string' ? params.tenant : undefined
  const tenant = tenantId && tenantId !== PLATFORM_TENANT ? deps.tenants.get(tenantId) : undefined
  if (tenantId !== undefined) {
    // Not there and not yours look the same: a principal cannot probe which tenants exist.
    if (!visibleTenant(principal, tenantId)) {
      if (tenantId !== PLATFORM_TENANT) await denied(deps, route, principal, requestId, source, tenantId, 'tenant not visible to this principal')
      throw sbError('SB_ERR_NOT_FOUND')
    }
    if (!tenant && !(await tenantHasHistory(route, tenantId, deps))) throw sbError('SB_ERR_NOT_FOUND')
  }
  if (!can(principal, route.permission, tenantId ?? principal.tenant ?? undefined)) {
    await denied(deps, route, principal, requestId, source, tenantId, `missing permission ${route.permission}`)
    throw sbError('SB_ERR_FORBIDDEN', `this needs the permission ${route.permission}`)
  }
  const query = validate(route.query, { ...ctx.query }, 'query')
  if (route.body) ctx.state.rawBody = await readJsonBody(ctx, deps.bodyLimitBytes)
  const body = route.body ? validate(route.body, ctx.state.rawBody, 'body') : undefined
  const chain = tenantId ?? (principal.tenant ?? PLATFORM_TENANT)
  let result
  try {
    result = await route.handler({ principal, params, query, body, tenant, tenantId, requestId, source, koa: ctx })
  } catch (error) {
    // A refusal by the handler itself (403: e.g. minting a role above one's own) is a denial, not a mistake.
    const known = asAdminError(error)
    const failed = known.status === 403 ? 'denied' : known.status < 500 ? 'invalid' : 'failure'
    await deps.audit.record({
      tenant: chain,
      actor,
      action: route.action,
      target: tenantId ? `tenant:${tenantId}` : undefined,
      outcome: failed,
      requestId,
      source,
      details: { error: known.code, ...(known.details.length ? { problems: known.details } : {}) },
    })
    throw known
  }
  await deps.audit.record({
    tenant: chain,
    actor,
    action: route.action,
    target: result.audit?.target ?? (tenantId ? `tenant:${tenantId}` : undefined),
    outcome: 'success',
    requestId,
    source,
    details: result.audit?.details ?? {},
  })
  if ('lines' in result) {
    ctx.type = 'application/x-ndjson'
    ctx.set('Content-Disposition', `attachment; filename="${result.filename}"`)
    ctx.body = Readable.from(ndjson(result.lines))
    return
  }
  ctx.status = result.status ?? route.successStatus ?? 200
  ctx.body = result.body
}

/** What the API answers for an error, and what the audit log records of it. */
function asAdminError(error: unknown): SwitchboardError {
  if (isSwitchboardError(error)) return error
  // The key store's word on a request it can never honour: the caller's mistake, at a field.
  if (error instanceof ApiKeyRequestError) return sbError('SB_ERR_BODY_INVALID', error.message, [{ path: error.field ? `body.${error.field}` : 'body', message: error.message }])
  return sbError('SB_ERR_INTERNAL', undefined, [], error)
}

/**
 * Whether a tenant that is not running still answers on this route: the platform's own scope
 * where the route allows it, and a removed tenant's audit log — evidence outlives configuration.
 */
async function tenantHasHistory(route: AdminRoute, tenantId: string, deps: AdminRouterDeps): Promise<boolean> {
  if (tenantId === PLATFORM_TENANT) return route.allowsPlatformTenant === true
  return route.keepsHistory === true && (await deps.audit.tenants()).includes(tenantId)
}

async function denied(deps: AdminRouterDeps, route: AdminRoute, principal: Principal, requestId: string, source: string, tenantId: string | undefined, reason: string) {
  // A denial lands in the chain of the principal's own tenant: the tenant it was aimed at must
  // not learn that someone else probed it, and the principal's owners should.
  await deps.audit.record({
    tenant: principal.tenant ?? PLATFORM_TENANT,
    actor: { type: principal.kind, id: principal.id },
    action: route.action,
    target: tenantId ? `tenant:${tenantId}` : `${route.method} ${ADMIN_PREFIX}${route.path}`,
    outcome: 'denied',
    requestId,
    source,
    details: { reason, permission: route.permission },
  })
}

async function* ndjson(lines: AsyncIterable<unknown>): AsyncIterable<string> {
  for await (const line of lines) yield `${JSON.stringify(line)}\n`
}
