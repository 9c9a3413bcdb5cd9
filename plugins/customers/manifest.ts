import { z } from 'zod'
import type { AgentManifest } from '../../core/index.js'
import { regexSource } from '../support/schema.js'

/** Every condition given must hold; `tags` holds when the customer has any one of them. */
export const VipCondition = z
  .object({
    tags: z.array(z.string().min(1)).min(1).optional(),
    channel: z.string().min(1).optional(),
    instance: z.string().min(1).optional(),
    userIds: z.array(z.string().min(1)).min(1).optional(),
    userIdPattern: regexSource('u').optional(),
  })
  .strict()
  .refine((when) => Object.keys(when).length > 0, { message: 'a rule needs at least one condition' })
export type VipCondition = z.infer<typeof VipCondition>

export const VipRule = z.object({ level: z.number().int().min(1).max(9), when: VipCondition }).strict()
export type VipRule = z.infer<typeof VipRule>

export const CustomersConfig = z
  .object({
    vip: z
      .object({
        /** The highest level whose rule matches wins; a level an admin set is never changed by a rule. */
        rules: z.array(VipRule).default([]),
        /** What agents see instead of the number: `{ '1': 'Gold', '2': 'Platinum' }`. */
        labels: z.record(z.string().regex(/^[1-9]$/, 'a VIP level 1–9'), z.string().min(1).max(40)).default({}),
      })
      .strict()
      .default({ rules: [], labels: {} }),
    /** A VIP lookup another plugin provides (a CRM call): how long a turn may wait for it. */
    lookup: z
      .object({ timeoutMs: z.number().int().min(10).max(5000).default(300) })
      .strict()
      .default({ timeoutMs: 300 }),
  })
  .strict()
export type CustomersConfig = z.infer<typeof CustomersConfig>

export const manifest = {
  kind: 'agent',
  id: 'customers',
  label: 'Customer profiles and VIP levels',
  version: '1.0.0',
  config: CustomersConfig,
  stages: ['inbound'],
  gatewayOnly: true,
} satisfies AgentManifest<typeof CustomersConfig>
