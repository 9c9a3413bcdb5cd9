import { isTenantScope, TENANT_SLUG } from '../tenancy/tenant-id.js'

/**
 * Every Redis key and queue Switchboard writes belongs to one tenant, so a tenant's data can be
 * found, counted and deleted by prefix, and one tenant can never address another's keys.
 */

/** Same shape as the tenant slug in config, plus the reserved platform scope. */
export const isTenantId = isTenantScope

/** Queue names end up in key names, logs and dashboards: keep them as plain as tenant ids. */
const QUEUE = TENANT_SLUG

/** Throws before a malformed id can become part of a key, where it could escape its prefix. */
export function assertTenantId(tenant: string): string {
  if (!isTenantId(tenant)) throw new TypeError(`invalid tenant id for Redis keys: ${JSON.stringify(tenant)}`)
  return tenant
}

/** The prefix shared by all of a tenant's keys, without a trailing ':'. */
export function tenantKeyPrefix(tenant: string): string {
  // The braces are a Redis Cluster hash tag: only `tenant` is hashed, so all of a tenant's keys
  // share one slot and multi-key commands and Lua scripts over them stay legal on a cluster.
  return `sb:{${assertTenantId(tenant)}}`
}

/** `sb:{tenant}:part:part…` */
export function tenantKey(tenant: string, ...parts: string[]): string {
  if (parts.length === 0) throw new TypeError('tenantKey needs at least one part after the tenant')
  // An empty part would make `a::b`, which reads like a different key family and breaks prefix scans.
  if (parts.some((p) => p.length === 0)) throw new TypeError(`empty Redis key part for tenant ${tenant}`)
  return `${tenantKeyPrefix(tenant)}:${parts.join(':')}`
}

/**
 * A BullMQ queue name for one tenant: `sb-{tenant}-<queue>`.
 *
 * BullMQ builds its keys as `<prefix>:<queueName>:<suffix>` and refuses names containing ':'
 * ("Queue name cannot contain :"), so the name uses '-' instead. The name keeps the `{tenant}`
 * hash tag, so even with BullMQ's default prefix the queue's keys hash to the tenant's slot; pass
 * `prefix: tenantKeyPrefix(tenant)` as well to keep them under `sb:{tenant}:` with the rest.
 */
export function tenantQueueName(tenant: string, queue: string): string {
  if (!QUEUE.test(queue)) throw new TypeError(`invalid queue name: ${JSON.stringify(queue)}`)
  return `sb-{${assertTenantId(tenant)}}-${queue}`
}
