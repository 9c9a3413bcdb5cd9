import { z } from 'zod'
import { isTenantScope, TENANT_ID_MESSAGE } from '../../tenancy/tenant-id.js'
import { ROLES } from '../auth/rbac.js'

export const TenantId = z.string().refine(isTenantScope, `must be a tenant id (${TENANT_ID_MESSAGE})`)
export const TenantParams = z.object({ tenant: TenantId }).strict()
export const Limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback)
/**
 * Text from a request that ends up as a bound SQL parameter. PostgreSQL text cannot hold NUL, so
 * one is refused here with a 400 naming the parameter instead of failing in the query as a 500.
 */
export const Text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
/**
 * Query strings carry dates as ISO 8601; anything else is a 400 naming the parameter. Years are
 * held to 0001–9999 (in UTC): year 0000 is valid ISO 8601 but not a PostgreSQL timestamp.
 */
export const When = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const year = new Date(s).getUTCFullYear()
    return year >= 1 && year <= 9999
  }, 'must be between the years 0001 and 9999')
  .transform((s) => new Date(s))
export const Role = z.enum(ROLES)
