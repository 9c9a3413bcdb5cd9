import { z } from 'zod'
import { sbError } from '../../errors.js'
import type { ApiKeyStore } from '../auth/api-keys.js'
import { defineRoute } from '../http/route.js'
import { Role, TenantParams, Text } from './schemas.js'

const KeyRecord = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string(),
  role: z.string(),
  createdBy: z.string(),
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
})

export function keyRoutes(deps: { keys: ApiKeyStore }) {
  return [
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/keys',
      tag: 'keys',
      summary: 'Create an API key; the key is in this response only and stored hashed',
      action: 'key.create',
      permission: 'keys:write',
      allowsPlatformTenant: true,
      params: TenantParams,
      body: z
        .object({
          name: Text(100),
          role: Role,
          expiresAt: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
        })
        .strict(),
      successStatus: 201,
      response: KeyRecord.extend({ key: z.string().describe('sb_… — shown once') }),
      handler: async ({ tenantId, body, principal }) => {
        // Nobody hands out more than they hold: only a platform admin may mint platform-admin keys.
        if (body.role === 'platform-admin' && principal.tenant !== null) throw sbError('SB_ERR_FORBIDDEN', 'only a platform admin can create platform-admin keys')
        const { key, record } = await deps.keys.create(tenantId!, { name: body.name, role: body.role, createdBy: `${principal.kind}:${principal.id}`, expiresAt: body.expiresAt })
        return { status: 201, body: { ...record, key }, audit: { target: `key:${record.id}`, details: { name: record.name, role: record.role, expiresAt: record.expiresAt } } }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/keys',
      tag: 'keys',
      summary: 'API keys of a tenant (never the keys themselves)',
      action: 'key.list',
      permission: 'keys:read',
      allowsPlatformTenant: true,
      params: TenantParams,
      response: z.object({ keys: z.array(KeyRecord) }),
      handler: async ({ tenantId }) => ({ body: { keys: await deps.keys.list(tenantId!) } }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/tenants/:tenant/keys/:key',
      tag: 'keys',
      summary: 'Revoke an API key; it stops working at once',
      action: 'key.revoke',
      permission: 'keys:write',
      allowsPlatformTenant: true,
      params: TenantParams.extend({ key: Text(64) }),
      response: KeyRecord,
      handler: async ({ tenantId, params }) => {
        if (!(await deps.keys.revoke(tenantId!, params.key))) throw sbError('SB_ERR_NOT_FOUND', 'no such active key')
        return { body: await deps.keys.get(tenantId!, params.key), audit: { target: `key:${params.key}` } }
      },
    }),
  ]
}
