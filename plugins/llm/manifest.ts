import { z } from 'zod'
import { secret, type AgentManifest } from '../../core/index.js'
import { LlmToken } from './types.js'

const positiveInt = z.number().int().positive()

export const BreakerConfig = z
  .object({
    /** Share of failed calls (in a 10 s rolling window) that opens the breaker. */
    errorThresholdPercentage: z.number().min(1).max(100).default(50),
    /** Calls the window must hold before the breaker may open, so one early failure does not. */
    volumeThreshold: positiveInt.default(4),
    /** How long an open breaker fails fast before letting one probe call through. */
    resetTimeoutMs: z.number().int().min(100).default(30_000),
  })
  .strict()

export const BudgetConfig = z
  .object({
    /** Tokens (prompt + completion, embeddings included) the tenant may spend per hour. */
    tokensPerHour: positiveInt.optional(),
    tokensPerDay: positiveInt.optional(),
  })
  .strict()

export const LlmConfig = z
  .object({
    provider: z.literal('openai').default('openai'),
    /** Any OpenAI-compatible endpoint (Azure OpenAI's v1 API, vLLM, Ollama, a proxy). */
    baseURL: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
    model: z.string().min(1).default('gpt-4o-mini'),
    /** Write `${env:OPENAI_API_KEY}` rather than the key itself. */
    apiKey: secret(),
    /** Without it `embed()` throws LlmUnavailableError, so callers use their non-vector path. */
    embeddingModel: z.string().min(1).optional(),
    embeddingDimensions: positiveInt.optional(),
    /**
     * Per attempt. A streamed answer is cut only when no token arrived for this long, so a long
     * answer that keeps coming is not; the caller's deadline still bounds the whole call.
     */
    timeoutMs: z.number().int().min(50).max(300_000).default(8_000),
    /** Further attempts after a timeout, 429 or 5xx; never once an answer has started streaming. */
    retries: z.number().int().min(0).max(3).default(1),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: positiveInt.optional(),
    breaker: BreakerConfig.prefault({}),
    budget: BudgetConfig.prefault({}),
  })
  .strict()
export type LlmConfig = z.infer<typeof LlmConfig>

export const manifest = {
  kind: 'agent',
  id: 'llm',
  label: 'Language model (OpenAI-compatible)',
  version: '1.0.0',
  config: LlmConfig,
  // A service for other plugins, not a pipeline stage: list it above the plugins that use it.
  stages: [],
  provides: [LlmToken],
} satisfies AgentManifest<typeof LlmConfig>
