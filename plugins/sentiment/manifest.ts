import { z } from 'zod'
import type { AgentManifest } from '../../core/index.js'

const score = z.number().min(-1).max(1)

export const EscalationConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** A complaint (intent plugin) at or below this score escalates at once. */
    complaintAt: score.default(-0.4),
    /** Turns at or below this count as strongly negative… */
    strongAt: score.default(-0.6),
    /** …and this many of them… */
    strongTurns: z.number().int().min(1).max(10).default(2),
    /** …within this many latest turns escalate. */
    window: z.number().int().min(1).max(10).default(3),
    /** One turn at or below this escalates on its own. */
    extremeAt: score.default(-0.85),
    /** Consecutive turns at or above neutral before an escalation ends. */
    calmTurns: z.number().int().min(1).max(20).default(3),
  })
  .strict()
  .refine((e) => e.extremeAt <= e.strongAt, { message: 'extremeAt must be at or below strongAt', path: ['extremeAt'] })
  .refine((e) => e.strongTurns <= e.window, { message: 'strongTurns cannot exceed window', path: ['strongTurns'] })
export type EscalationConfig = z.infer<typeof EscalationConfig>

export const SentimentConfig = z
  .object({
    /** Scores at or below `negative` are negative, at or above `positive` positive, neutral between. */
    thresholds: z
      .object({ negative: score.default(-0.25), positive: score.default(0.25) })
      .strict()
      .refine((t) => t.negative < 0 && t.negative < t.positive, { message: 'negative must be below 0 and below positive', path: ['negative'] })
      .default({ negative: -0.25, positive: 0.25 }),
    escalation: EscalationConfig.default({ enabled: true, complaintAt: -0.4, strongAt: -0.6, strongTurns: 2, window: 3, extremeAt: -0.85, calmTurns: 3 }),
    /**
     * The tenant's own words and their valence, -4 (very negative) … 4 (very positive), on top of
     * the built-in lexicons: product nicknames, local slang. English phrases may have several words.
     */
    words: z.record(z.string().trim().min(1), z.number().min(-4).max(4)).default({}),
  })
  .strict()
export type SentimentConfig = z.infer<typeof SentimentConfig>

export const manifest = {
  kind: 'agent',
  id: 'sentiment',
  label: 'Sentiment and escalation (Chinese and English)',
  version: '1.0.0',
  config: SentimentConfig,
  stages: ['inbound'],
} satisfies AgentManifest<typeof SentimentConfig>
