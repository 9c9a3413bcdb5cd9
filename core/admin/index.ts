import type { Context } from 'koa'
import type { DependencyContainer } from 'tsyringe'
import { Tokens } from '../di/tokens.js'
import type { TenantManager } from '../tenancy/tenant-manager.js'
import { ApiKeyStore } from './auth/api-keys.js'
import { OidcVerifier } from './auth/oidc.js'
import { createAdminRouter } from './http/admin-router.js'
import { auditRoutes } from './routes/audit.js'
import { conversationRoutes } from './routes/conversations.js'
import { keyRoutes } from './routes/keys.js'
import { tenantRoutes } from './routes/tenants.js'

export { ADMIN_PREFIX } from './http/admin-router.js'
export { ApiKeyStore } from './auth/api-keys.js'
export type { Principal, Role, Permission } from './auth/rbac.js'

/** Every admin route, in one list: the router and the OpenAPI document are built from it. */
export function adminRoutes(root: DependencyContainer, tenants: TenantManager) {
  return [
    ...tenantRoutes({ tenants, limits: root.resolve(Tokens.Limits), store: root.resolve(Tokens.DeliveryStore) }),
    ...conversationRoutes({ conversations: root.resolve(Tokens.Conversations), transcript: root.resolve(Tokens.Transcript) }),
    ...keyRoutes({ keys: root.resolve(ApiKeyStore) }),
    ...auditRoutes({ audit: root.resolve(Tokens.Audit) }),
  ]
}

export function createAdminApi(root: DependencyContainer, tenants: TenantManager, clientAddress: (ctx: Context) => string) {
  const config = root.resolve(Tokens.GatewayConfig).admin
  return createAdminRouter({
    routes: adminRoutes(root, tenants),
    tenants,
    keys: root.resolve(ApiKeyStore),
    oidc: config.oidc ? new OidcVerifier(config.oidc) : undefined,
    audit: root.resolve(Tokens.Audit),
    log: root.resolve(Tokens.Logger).child({ component: 'admin-api' }),
    bodyLimitBytes: config.bodyLimitBytes,
    clientAddress,
  })
}
