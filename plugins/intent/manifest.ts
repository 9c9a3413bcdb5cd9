import { z } from 'zod'
import type { AgentManifest } from '../../core/index.js'
import { IntentClassifierToken } from './types.js'

const slug = z.string().regex(/^[a-z][a-z0-9_]{1,39}$/, { message: 'must be a lowercase slug (letters, digits, _), 2–40 long' })

export const TenantIntent = z
  .object({
    /** A new intent, or a built-in one's name to teach it this tenant's wording. */
    name: slug,
    /** How customers phrase it; any language. A handful of varied phrasings beats many similar ones. */
    examples: z.array(z.string().trim().min(1)).min(3),
  })
  .strict()
export type TenantIntent = z.infer<typeof TenantIntent>

export const IntentConfig = z
  .object({
    intents: z
      .array(TenantIntent)
      .default([])
      .superRefine((intents, ctx) => {
        const seen = new Set<string>()
        intents.forEach((intent, i) => {
          if (seen.has(intent.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `intent "${intent.name}" is listed twice; merge its examples` })
          seen.add(intent.name)
        })
      }),
    /** Below this the result is still reported, but marked `lowConfidence` and never escalates. */
    minConfidence: z.number().min(0).max(1).default(0.4),
    llm: z
      .object({
        /** Ask the tenant's LLM (when an `llm` plugin is configured) when the built-in model is unsure. */
        enabled: z.boolean().default(true),
        /** "Unsure" means a built-in confidence below this. */
        below: z.number().min(0).max(1).default(0.55),
      })
      .strict()
      .default({ enabled: true, below: 0.55 }),
  })
  .strict()
export type IntentConfig = z.infer<typeof IntentConfig>

export const manifest = {
  kind: 'agent',
  id: 'intent',
  label: 'Intent classification (Chinese and English)',
  version: '1.0.0',
  config: IntentConfig,
  stages: ['inbound'],
  provides: [IntentClassifierToken],
} satisfies AgentManifest<typeof IntentConfig>
