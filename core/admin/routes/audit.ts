import { z } from 'zod'
import type { AuditLog } from '../../audit/audit-log.js'
import { defineRoute } from '../http/route.js'
import { Limit, TenantParams, Text, When } from './schemas.js'

const Filter = z
  .object({
    from: When.optional(),
    to: When.optional(),
    action: Text(100).optional(),
    actor: Text(200).optional(),
    outcome: z.enum(['success', 'denied', 'failure', 'invalid']).optional(),
    afterSeq: z.coerce.number().int().min(0).optional(),
    limit: Limit(1000, 100),
  })
  .strict()

const Entry = z.object({
  tenant: z.string(),
  seq: z.number(),
  id: z.string(),
  at: z.date(),
  actor: z.object({ type: z.string(), id: z.string() }),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.string(),
  requestId: z.string().nullable(),
  source: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
})

const toFilter = (q: z.output<typeof Filter>) => ({ from: q.from, to: q.to, action: q.action, actorId: q.actor, outcome: q.outcome, afterSeq: q.afterSeq, limit: q.limit })

export function auditRoutes(deps: { audit: AuditLog }) {
  return [
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/audit',
      tag: 'audit',
      summary: 'Query the audit log (page with afterSeq)',
      action: 'audit.query',
      permission: 'audit:read',
      allowsPlatformTenant: true,
      keepsHistory: true,
      params: TenantParams,
      query: Filter,
      response: z.object({ entries: z.array(Entry) }),
      handler: async ({ tenantId, query }) => ({ body: { entries: await deps.audit.query(tenantId!, toFilter(query)) } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/audit/export',
      tag: 'audit',
      summary: 'Export the audit log as JSONL with its hashes, for verification elsewhere',
      action: 'audit.export',
      permission: 'audit:export',
      allowsPlatformTenant: true,
      keepsHistory: true,
      params: TenantParams,
      query: Filter.omit({ limit: true }),
      produces: 'application/x-ndjson',
      response: Entry,
      handler: async ({ tenantId, query }) => ({ lines: deps.audit.export(tenantId!, { ...toFilter({ ...query, limit: 1 }), limit: undefined }), filename: `${tenantId}-audit.jsonl` }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/audit/verify',
      tag: 'audit',
      summary: 'Walk the hash chain and report the first broken link',
      action: 'audit.verify',
      permission: 'audit:read',
      allowsPlatformTenant: true,
      keepsHistory: true,
      params: TenantParams,
      response: z.object({ tenant: z.string(), ok: z.boolean(), entries: z.number(), firstBroken: z.object({ seq: z.number(), reason: z.string() }).optional() }),
      handler: async ({ tenantId }) => ({ body: await deps.audit.verify(tenantId!) }),
    }),
  ]
}
