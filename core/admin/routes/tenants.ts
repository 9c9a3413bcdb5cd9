import { z } from 'zod'
import { TenantConfig } from '../../config/tenant-schema.js'
import { sbError } from '../../errors.js'
import type { TenantLimits } from '../../limits/tenant-limits.js'
import type { DeliveryStore } from '../../store/delivery-store.js'
import type { TenantManager, ReloadOutcome } from '../../tenancy/tenant-manager.js'
import type { TenantRuntime } from '../../tenancy/tenant-runtime.js'
import { visibleTenant } from '../auth/rbac.js'
import { defineRoute, type AdminRequest } from '../http/route.js'
import { TenantParams } from './schemas.js'

const TenantSummary = z.object({ id: z.string(), name: z.string(), locale: z.string(), file: z.string(), channels: z.array(z.string()), plugins: z.array(z.string()) })
const ChannelStatus = z.object({ id: z.string(), type: z.string(), state: z.enum(['running', 'disabled']), probe: z.object({ ok: z.boolean(), detail: z.string().optional() }).optional() })
const PluginStatus = z.object({ id: z.string(), type: z.string(), enabled: z.boolean(), position: z.number() })
const Problem = z.object({ file: z.string(), path: z.string(), message: z.string() })
const Outcome = z.object({ tenant: z.string(), outcome: z.enum(['reloaded', 'started', 'stopped', 'unchanged', 'invalid', 'failed']), problems: z.array(Problem) })

const summary = (t: TenantRuntime) => ({
  id: t.id,
  name: t.config.name,
  locale: t.config.locale,
  file: t.config.file,
  channels: t.config.channels.filter((c) => c.enabled).map((c) => c.id),
  plugins: t.config.plugins.filter((p) => p.enabled).map((p) => p.id),
})
const plugins = (t: TenantRuntime) => t.config.plugins.map((p, position) => ({ id: p.id, type: p.type, enabled: p.enabled, position }))

const origin = (r: AdminRequest<unknown, unknown, unknown>) => ({ actor: { type: r.principal.kind, id: r.principal.id }, requestId: r.requestId, source: r.source })

/** A rejected change answers 422 with every problem's path; the running tenant is unchanged. */
function outcomeResult(outcome: ReloadOutcome) {
  if (outcome.outcome === 'invalid' || outcome.outcome === 'failed') {
    throw sbError(
      'SB_ERR_TENANT_CONFIG_REJECTED',
      `${outcome.problems.length} problem${outcome.problems.length === 1 ? '' : 's'} in the configuration of ${outcome.tenant}; the running configuration is unchanged`,
      outcome.problems.map((p) => ({ path: p.path ? `${p.file}: ${p.path}` : p.file, message: p.message })),
    )
  }
  return { body: outcome, audit: { details: { outcome: outcome.outcome } } }
}

export function tenantRoutes(deps: { tenants: TenantManager; limits: TenantLimits; store: DeliveryStore }) {
  const { tenants } = deps
  return [
    defineRoute({
      method: 'GET',
      path: '/tenants',
      tag: 'tenants',
      summary: 'Tenants running on this gateway that the principal may see',
      action: 'tenant.list',
      permission: 'tenant:read',
      response: z.object({ tenants: z.array(TenantSummary) }),
      handler: async ({ principal }) => ({ body: { tenants: tenants.list().filter((t) => visibleTenant(principal, t.id)).map(summary) } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants',
      tag: 'tenants',
      summary: 'Add a tenant: validates the document, writes tenants/<id>.yaml and starts it',
      action: 'tenant.add',
      permission: 'tenants:manage',
      body: TenantConfig,
      successStatus: 201,
      response: Outcome,
      handler: async (request) => {
        // The document as sent (without the defaults zod filled in) is what goes into the file.
        const raw = request.koa.state.rawBody as { id: string }
        const outcome = await tenants.add(raw.id, raw, origin(request))
        return { status: 201, body: outcome, audit: { target: `tenant:${raw.id}` } }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant',
      tag: 'tenants',
      summary: 'A tenant and its configuration (secrets redacted)',
      action: 'tenant.get',
      permission: 'tenant:read',
      params: TenantParams,
      response: TenantSummary.extend({ config: z.unknown() }),
      handler: async ({ tenant }) => ({ body: { ...summary(tenant!), config: tenant!.config.display } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/status',
      tag: 'tenants',
      summary: 'Runtime status: channels, pipeline, limits, backlog, last rejected change',
      action: 'tenant.status',
      permission: 'tenant:read',
      params: TenantParams,
      handler: async ({ tenant }) => {
        const t = tenant!
        const rejected = tenants.lastProblems(t.id)
        return {
          body: {
            id: t.id,
            state: 'running',
            startedAt: t.startedAt,
            reloadedAt: t.reloadedAt ?? null,
            channels: await t.channelStatus(),
            plugins: plugins(t),
            limits: deps.limits.snapshot(t.id) ?? null,
            outbox: await deps.store.outboxStats(t.id),
            lastRejectedChange: rejected ? { at: rejected.at, problems: rejected.problems } : null,
          },
        }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tenants/:tenant/reload',
      tag: 'tenants',
      summary: 'Re-read tenants/<id>.yaml and swap it in; an invalid file is refused (422) and the running one keeps serving',
      action: 'tenant.reload',
      permission: 'tenant:reload',
      params: TenantParams,
      response: Outcome,
      handler: async (request) => outcomeResult(await tenants.reload(request.tenantId!, origin(request), { force: true })),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/tenants/:tenant',
      tag: 'tenants',
      summary: 'Stop a tenant and set its file aside; its data and audit log stay',
      action: 'tenant.remove',
      permission: 'tenants:manage',
      params: TenantParams,
      response: Outcome,
      handler: async (request) => ({ body: await tenants.remove(request.tenantId!) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/channels',
      tag: 'tenants',
      summary: 'Channel instances and their health',
      action: 'channel.list',
      permission: 'channels:read',
      params: TenantParams,
      response: z.object({ channels: z.array(ChannelStatus) }),
      handler: async ({ tenant }) => ({ body: { channels: await tenant!.channelStatus() } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/plugins',
      tag: 'tenants',
      summary: 'The agent pipeline, in order',
      action: 'plugin.list',
      permission: 'channels:read',
      params: TenantParams,
      response: z.object({ plugins: z.array(PluginStatus) }),
      handler: async ({ tenant }) => ({ body: { plugins: plugins(tenant!) } }),
    }),
  ]
}
