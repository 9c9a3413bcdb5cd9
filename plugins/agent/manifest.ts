import { z } from 'zod'
import type { AgentManifest } from '../../core/index.js'

export const AgentConfig = z
  .object({
    /**
     * Who writes answers: `builtin` composes them from the knowledge base and intent templates and
     * never calls the network; `openai` asks the tenant's LLM (the `llm` plugin, listed above).
     */
    provider: z.enum(['builtin', 'openai']).default('builtin'),
    /** What an LLM failure, timeout or exhausted budget turns into: never an error message. */
    fallback: z.enum(['builtin', 'human']).default('builtin'),
    /** Passages scoring below this are not used as evidence (knowledge scores are 0–1). */
    minPassageScore: z.number().min(0).max(1).default(0.35),
    /** How many passages the answer may draw on. */
    passages: z.number().int().min(1).max(8).default(3),
    /** Below this intent confidence a vague message gets a clarifying question, not a guess. */
    clarifyBelow: z.number().min(0).max(1).default(0.45),
    /** Messages of history the LLM sees (both sides); older ones are forgotten. */
    historyMessages: z.number().int().min(0).max(50).default(10),
    /** Stream LLM answers to channels that can show them as they are written. */
    stream: z.boolean().default(true),
    /** Extra instructions for the LLM: tone, brand, what never to promise. */
    instructions: z.string().max(4000).optional(),
    /** The bot's name in the LLM's instructions. */
    name: z.string().min(1).max(80).default('the support assistant'),
  })
  .strict()
export type AgentConfig = z.infer<typeof AgentConfig>

export const manifest = {
  kind: 'agent',
  id: 'agent',
  label: 'Customer-service agent (LangGraph)',
  version: '1.0.0',
  config: AgentConfig,
  stages: ['respond'],
} satisfies AgentManifest<typeof AgentConfig>
