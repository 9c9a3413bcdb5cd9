import { z } from 'zod'
import { ROLES } from '../auth/rbac.js'

export const TenantId = z.string().regex(/^(?:[a-z0-9][a-z0-9-]{0,62}|_platform)$/, 'must be a tenant id (lowercase letters, digits and dashes)')
export const TenantParams = z.object({ tenant: TenantId }).strict()
export const Limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback)
/** Query strings carry dates as ISO 8601; anything else is a 400 naming the parameter. */
export const When = z.iso.datetime({ offset: true }).transform((s) => new Date(s))
export const Role = z.enum(ROLES)
