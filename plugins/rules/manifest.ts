import { z } from 'zod'
import type { AgentManifest } from '../../core/index.js'

/** A string, or the same text per language: `{ en: "…", zh: "…" }`. */
export const Localized = z.union([z.string().min(1), z.record(z.string().min(2).max(35), z.string().min(1))])
export type Localized = z.infer<typeof Localized>

const Option = z.object({ title: Localized, value: z.string().min(1) }).strict()

// The structured form comes first: `{ text: … }` must not be read as a language map.
export const ReplySpec = z.union([z.object({ text: Localized, options: z.array(Option).min(1).optional() }).strict(), Localized])
export type ReplySpec = z.infer<typeof ReplySpec>

const regex = z.string().refine(
  (source) => {
    try {
      new RegExp(source, 'iu')
      return true
    } catch {
      return false
    }
  },
  { message: 'not a valid regular expression' },
)

export const FaqEntry = z
  .object({
    id: z.string().min(1).optional(),
    /** The question as customers ask it; more phrasings go in `also`. */
    question: Localized,
    also: z.array(z.string().min(1)).default([]),
    /** Words or phrases that, when present, point strongly at this entry. */
    keywords: z.array(z.string().min(1)).default([]),
    answer: ReplySpec,
  })
  .strict()
export type FaqEntry = z.infer<typeof FaqEntry>

export const KeywordRule = z
  .object({
    id: z.string().min(1),
    keywords: z.array(z.string().min(1)).default([]),
    pattern: regex.optional(),
    reply: ReplySpec,
  })
  .strict()
  .refine((r) => r.keywords.length > 0 || r.pattern, { message: 'a rule needs keywords or a pattern' })
export type KeywordRule = z.infer<typeof KeywordRule>

export const RulesConfig = z
  .object({
    /** Checked first, in order: the first rule whose keyword or pattern matches answers. */
    rules: z.array(KeywordRule).default([]),
    faq: z.array(FaqEntry).default([]),
    /** How sure a FAQ match must be (0–1) before it answers. */
    minScore: z.number().min(0).max(1).default(0.45),
    /** Said when nothing matches; the closest FAQ questions are offered as choices. */
    fallback: ReplySpec.optional(),
    /** Whether to answer at all when nothing matches (false lets a later plugin respond). */
    answerFallback: z.boolean().default(true),
    suggestions: z.number().int().min(0).max(5).default(3),
  })
  .strict()
export type RulesConfig = z.infer<typeof RulesConfig>

export const manifest = {
  kind: 'agent',
  id: 'rules',
  label: 'FAQ and keyword rules',
  version: '1.0.0',
  config: RulesConfig,
  stages: ['respond'],
} satisfies AgentManifest<typeof RulesConfig>
