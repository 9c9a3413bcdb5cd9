export const ROLES = ['platform-admin', 'tenant-admin', 'agent', 'auditor', 'viewer'] as const
export type Role = (typeof ROLES)[number]

export const PERMISSIONS = [
  'tenants:manage',
  'tenant:read',
  'tenant:reload',
  'channels:read',
  'conversations:read',
  'conversations:export',
  'keys:read',
  'keys:write',
  'audit:read',
  'audit:export',
  'ticket:read',
  'ticket:write',
  'customers:read',
  'customers:write',
  /** Take, reply to, note and resolve handed-off conversations (the agent console). */
  'handoff:work',
] as const
export type Permission = (typeof PERMISSIONS)[number]

/** Whoever a request acts as: an API key or an OIDC user. */
export interface Principal {
  kind: 'key' | 'user'
  id: string
  name?: string
  /** null = platform-wide: the principal is not bound to one tenant. */
  tenant: string | null
  roles: Role[]
}

const GRANTS: Record<Role, readonly Permission[]> = {
  'platform-admin': PERMISSIONS,
  // Everything on its own tenant; adding and removing tenants is the platform's.
  'tenant-admin': PERMISSIONS.filter((p) => p !== 'tenants:manage'),
  agent: ['tenant:read', 'channels:read', 'conversations:read', 'ticket:read', 'ticket:write', 'customers:read', 'handoff:work'],
  auditor: ['tenant:read', 'audit:read', 'audit:export'],
  viewer: ['tenant:read', 'channels:read'],
}

const GRANT_SETS = new Map(ROLES.map((role) => [role, new Set<Permission>(GRANTS[role])]))

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value)

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role]
}

/** True for principals not bound to a tenant, who may act on any tenant. */
export const isPlatformPrincipal = (principal: Principal): boolean => principal.tenant === null

/**
 * Whether the principal holds `permission` on `tenant` (its own tenant when omitted).
 * platform-admin counts only on a platform-wide principal: a tenant-bound identity that claims it
 * (an IdP putting both a tenant and the role on a user) must not reach other tenants through it.
 */
export function can(principal: Principal, permission: Permission, tenant?: string): boolean {
  if (tenant !== undefined && !visibleTenant(principal, tenant)) return false
  return principal.roles.some((role) => {
    if (role === 'platform-admin' && !isPlatformPrincipal(principal)) return false
    return GRANT_SETS.get(role)?.has(permission) ?? false
  })
}

/**
 * Whether the tenant exists as far as this principal may know. Resources of a tenant it cannot
 * see are answered 404, not 403, so their existence does not leak across tenants.
 */
export function visibleTenant(principal: Principal, tenant: string): boolean {
  return isPlatformPrincipal(principal) || tenant === principal.tenant
}
