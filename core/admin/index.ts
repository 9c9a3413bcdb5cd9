import type { Context } from 'koa'
import type { DependencyContainer } from 'tsyringe'
import { Tokens } from '../di/tokens.js'
import type { TenantManager } from '../tenancy/tenant-manager.js'
import { ApiKeyStore } from './auth/api-keys.js'
import { OidcVerifier } from './auth/oidc.js'
import { createAdminRouter } from './http/admin-router.js'
import { ConsoleSessions } from '../console/session.js'
import { auditRoutes } from './routes/audit.js'
import { conversationRoutes } from './routes/conversations.js'
import { customerRoutes } from './routes/customers.js'
import { handoffRoutes } from './routes/handoffs.js'
import { keyRoutes } from './routes/keys.js'
import { tenantRoutes } from './routes/tenants.js'
import { ticketRoutes } from './routes/tickets.js'

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
    ...supportRoutes(root),
  ]
}

/** The support desk: customers, tickets, and the agents' handoff work. */
function supportRoutes(root: DependencyContainer) {
  const stores = {
    customers: root.resolve(Tokens.Customers),
    tickets: root.resolve(Tokens.Tickets),
    conversations: root.resolve(Tokens.Conversations),
  }
  return [
    ...customerRoutes({ ...stores, events: root.resolve(Tokens.SupportEvents) }),
    ...ticketRoutes({ ...stores, events: root.resolve(Tokens.SupportEvents), delivery: root.resolve(Tokens.Delivery), metrics: root.resolve(Tokens.Metrics) }),
    ...handoffRoutes({ ...stores, handoffs: root.resolve(Tokens.Handoffs), notes: root.resolve(Tokens.Notes), transcript: root.resolve(Tokens.Transcript) }),
  ]
}

export function createAdminApi(root: DependencyContainer, tenants: TenantManager, clientAddress: (ctx: Context) => string) {
  const config = root.resolve(Tokens.GatewayConfig).admin
  const keys = root.resolve(ApiKeyStore)
  return createAdminRouter({
    routes: adminRoutes(root, tenants),
    tenants,
    keys,
    oidc: config.oidc ? new OidcVerifier(config.oidc) : undefined,
    audit: root.resolve(Tokens.Audit),
    log: root.resolve(Tokens.Logger).child({ component: 'admin-api' }),
    bodyLimitBytes: config.bodyLimitBytes,
    clientAddress,
    sessions: new ConsoleSessions(root.resolve(Tokens.SessionSecret), keys, root.resolve(Tokens.Clock)),
  })
}
