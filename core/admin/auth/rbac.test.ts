import { describe, expect, it } from 'vitest'
import { can, PERMISSIONS, permissionsOf, ROLES, visibleTenant, type Permission, type Principal, type Role } from './rbac.js'

/** The expected grants, written out independently of the implementation's table. */
const expected: Record<Role, readonly Permission[]> = {
  'platform-admin': PERMISSIONS,
  'tenant-admin': PERMISSIONS.filter((p) => p !== 'tenants:manage'),
  agent: ['tenant:read', 'channels:read', 'conversations:read', 'ticket:read', 'ticket:write', 'customers:read', 'handoff:work'],
  auditor: ['tenant:read', 'audit:read', 'audit:export'],
  viewer: ['tenant:read', 'channels:read'],
}

const principal = (role: Role): Principal => ({ kind: 'key', id: `k-${role}`, tenant: role === 'platform-admin' ? null : 'acme', roles: [role] })

const cases = ROLES.flatMap((role) => PERMISSIONS.map((permission) => [role, permission, expected[role].includes(permission)] as const))

describe('can', () => {
  it.each(cases)('%s → %s on its own tenant: %s', (role, permission, granted) => {
    expect(can(principal(role), permission, 'acme')).toBe(granted)
    expect(can(principal(role), permission)).toBe(granted)
  })

  it.each(cases)('%s → %s on another tenant: only platform-wide', (role, permission, granted) => {
    expect(can(principal(role), permission, 'globex')).toBe(role === 'platform-admin' && granted)
  })

  it('only platform-admin may manage tenants', () => {
    expect(ROLES.filter((role) => can(principal(role), 'tenants:manage'))).toEqual(['platform-admin'])
  })

  it('unions the grants of several roles, still on the own tenant only', () => {
    const p: Principal = { kind: 'user', id: 'u1', tenant: 'acme', roles: ['viewer', 'auditor'] }
    expect(can(p, 'audit:export', 'acme')).toBe(true)
    expect(can(p, 'channels:read', 'acme')).toBe(true)
    expect(can(p, 'ticket:read', 'acme')).toBe(false)
    expect(can(p, 'audit:read', 'globex')).toBe(false)
  })

  it('a tenant-bound principal gains nothing from claiming platform-admin', () => {
    const p: Principal = { kind: 'user', id: 'u1', tenant: 'acme', roles: ['platform-admin'] }
    for (const permission of PERMISSIONS) {
      expect(can(p, permission, 'globex')).toBe(false)
      expect(can(p, permission, 'acme')).toBe(false)
    }
  })

  it('a principal without roles can do nothing', () => {
    const p: Principal = { kind: 'user', id: 'u1', tenant: 'acme', roles: [] }
    expect(PERMISSIONS.filter((permission) => can(p, permission, 'acme'))).toEqual([])
  })
})

describe('permissionsOf', () => {
  it.each(ROLES)('%s', (role) => {
    expect([...permissionsOf(role)].sort()).toEqual([...expected[role]].sort())
  })
})

describe('visibleTenant', () => {
  it('shows a tenant principal its own tenant only, a platform principal every tenant', () => {
    expect(visibleTenant(principal('viewer'), 'acme')).toBe(true)
    expect(visibleTenant(principal('tenant-admin'), 'globex')).toBe(false)
    expect(visibleTenant(principal('platform-admin'), 'globex')).toBe(true)
  })
})
