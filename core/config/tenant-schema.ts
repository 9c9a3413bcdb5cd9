import { z } from 'zod'
import { TENANT_ID_MESSAGE, TENANT_SLUG } from '../tenancy/tenant-id.js'

const slug = z.string().regex(TENANT_SLUG, TENANT_ID_MESSAGE)

/** Phase one: an entry's own config stays unknown until its plugin's schema checks it. */
export const Entry = z
  .object({
    id: slug,
    type: z.string().min(1),
    enabled: z.boolean().default(true),
    config: z.unknown().default({}),
  })
  .strict()
export type Entry = z.infer<typeof Entry>

/** Per-tenant budgets; absent means unlimited. Over a budget a channel answers "slow down". */
export const TenantLimitsConfig = z
  .object({
    messagesPerMinute: z.number().int().min(1).optional(),
    concurrentTurns: z.number().int().min(1).optional(),
    openSockets: z.number().int().min(1).optional(),
  })
  .strict()
export type TenantLimitsConfig = z.infer<typeof TenantLimitsConfig>

export const TenantConfig = z
  .object({
    id: slug,
    name: z.string().optional(),
    /** Default language of replies when a message carries none. */
    locale: z.string().default('en'),
    limits: TenantLimitsConfig.default({}),
    channels: z.array(Entry).default([]),
    /** Pipeline order is list order. */
    plugins: z.array(Entry).default([]),
  })
  .strict()
export type TenantConfig = z.infer<typeof TenantConfig>
