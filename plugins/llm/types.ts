import type { InjectionToken } from 'tsyringe'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface TokenUsage {
  prompt: number
  completion: number
  total: number
}

export interface ChatOptions {
  /** What the call is for: a metrics label (agent, intent, …). */
  purpose: string
  signal?: AbortSignal
  /** Epoch ms the answer is useless after (the turn's deadline); the call gives up before it. */
  deadline?: number
  /** Receives the answer as it streams in; without it the call does not stream. */
  onToken?: (delta: string) => void
  maxTokens?: number
  temperature?: number
}

export interface ChatResult {
  text: string
  tokens: TokenUsage
  model: string
}

export type LlmFailure = 'timeout' | 'error' | 'breaker_open' | 'budget_exhausted' | 'aborted'

/** Thrown by every LlmService call that did not produce an answer; callers fall back, never surface it. */
export class LlmUnavailableError extends Error {
  constructor(
    readonly reason: LlmFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'LlmUnavailableError'
  }
}

/**
 * The tenant's language model (OpenAI-compatible), provided by the `llm` plugin: every call has a
 * timeout, is retried once, sits behind a circuit breaker and is counted against the tenant's
 * token budget.
 */
export interface LlmService {
  readonly provider: 'openai'
  readonly model: string
  chat(messages: ChatMessage[], options: ChatOptions): Promise<ChatResult>
  /** Embeddings from the configured embeddings model; throws LlmUnavailableError without one. */
  embed(texts: string[], options: { purpose: string; signal?: AbortSignal }): Promise<number[][]>
  readonly embeddingDimensions: number | undefined
  /** Tokens left in the current budget window; undefined when the tenant set no budget. */
  budgetRemaining(): Promise<number | undefined>
}

export const LlmToken = Symbol.for('switchboard.plugins.Llm') as InjectionToken<LlmService>
