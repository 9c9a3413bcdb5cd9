import type { Context } from 'koa'
import type { z } from 'zod'
import type { Permission, Principal } from '../auth/rbac.js'
import type { TenantRuntime } from '../../tenancy/tenant-runtime.js'

/**
 * One admin endpoint, declared once: the zod schemas here validate requests and generate the
 * OpenAPI document, so the two cannot drift apart.
 */
export interface AdminRoute<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Under /admin/v1, koa-router syntax: `/tenants/:tenant/keys`. */
  path: string
  summary: string
  tag: string
  /** The audit action recorded for every call that reaches the handler. */
  action: string
  /** What the principal needs on the route's tenant (or on the platform when it has none). */
  permission: Permission
  params?: P
  query?: Q
  body?: B
  response?: z.ZodType
  /** `application/x-ndjson` for exports, streamed line by line. */
  produces?: 'application/json' | 'application/x-ndjson'
  /** Routes under `/tenants/:tenant` whose tenant may be the platform's own audit/key space. */
  allowsPlatformTenant?: boolean
  /** Also answers for a removed tenant whose records remain (its audit log). */
  keepsHistory?: boolean
  successStatus?: number
  handler(request: AdminRequest<z.output<P>, z.output<Q>, z.output<B>>): Promise<AdminResult>
}

export interface AdminRequest<P, Q, B> {
  principal: Principal
  params: P
  query: Q
  body: B
  /** The running tenant named by `:tenant`, when the route has one and it is running. */
  tenant: TenantRuntime | undefined
  tenantId: string | undefined
  requestId: string
  source: string
  koa: Context
}

export type AdminResult =
  | { body: unknown; status?: number; audit?: { target?: string; details?: Record<string, unknown> } }
  | { lines: AsyncIterable<unknown>; filename: string; audit?: { target?: string; details?: Record<string, unknown> } }

export const defineRoute = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(route: AdminRoute<P, Q, B>): AdminRoute =>
  route as unknown as AdminRoute
