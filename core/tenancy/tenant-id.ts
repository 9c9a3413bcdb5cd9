/**
 * A tenant id is a file name (tenants/<id>.yaml), a URL segment (/t/<id>/…), a Redis hash tag
 * and a value quoted into SQL; this one shape is checked wherever one arrives.
 */
export const TENANT_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/

/** Audit chain and API keys of the platform itself, not of one tenant; no tenant can spell it. */
export const PLATFORM_TENANT = '_platform'

export const TENANT_ID_MESSAGE = 'must be lowercase letters, digits and dashes'

export const isTenantSlug = (value: string): boolean => TENANT_SLUG.test(value)

/** A tenant, or the platform's own scope: what row-level security, audit chains and Redis keys are scoped to. */
export const isTenantScope = (value: string): boolean => value === PLATFORM_TENANT || TENANT_SLUG.test(value)
