import { AIMessage, HumanMessage, SystemMessage, type BaseMessage, type UsageMetadata } from '@langchain/core/messages'
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai'
import type { Redis } from 'ioredis'
import CircuitBreaker from 'opossum'
import type { Logger } from 'pino'
import type { Metrics } from '../../core/index.js'
import { Attempt, pause, raceSignal, timeLeft } from './attempt.js'
import { TokenBudget } from './budget.js'
import { AttemptFailure, CallerFault, classify, type Failure } from './failure.js'
import type { LlmConfig } from './manifest.js'
import { LlmUnavailableError, type ChatMessage, type ChatOptions, type ChatResult, type LlmService } from './types.js'

export interface LlmServiceDeps {
  tenant: string
  config: LlmConfig
  log: Logger
  metrics: Metrics
  /** Aborts whatever is in flight when the plugin stops (the plugin scope's signal). */
  lifetime?: AbortSignal
  /** The gateway's Redis, when it has one: the token budget is then shared by every replica. */
  redis?: Redis | undefined
}

/** Below this much time before the deadline an attempt could not produce an answer anyway. */
export const MIN_ATTEMPT_MS = 150
/** A Retry-After longer than this is not waited for: the turn's reply would come too late. */
export const MAX_RETRY_WAIT_MS = 2_000
const BACKOFF_MS = 200
/** Held for an answer whose length the caller did not cap: a support answer is rarely longer. */
const EXPECTED_ANSWER_TOKENS = 256
const MAX_CACHED_MODELS = 8

interface Usage {
  prompt: number
  completion: number
}

interface CallOptions {
  purpose: string
  signal?: AbortSignal | undefined
  deadline?: number | undefined
}

// What a provider that reports no usage is charged: OpenAI's own rule of thumb of ~4 characters a token.
const estimate = (chars: number) => Math.ceil(chars / 4)

const toLangChain = (m: ChatMessage): BaseMessage =>
  m.role === 'system' ? new SystemMessage(m.content) : m.role === 'assistant' ? new AIMessage(m.content) : new HumanMessage(m.content)

/**
 * The tenant's OpenAI-compatible model. Each call runs its attempts through one circuit breaker
 * (per tenant, since there is one service per tenant), checks the tenant's token budget first and
 * pays it afterwards, and turns every way of failing into LlmUnavailableError so callers only
 * ever fall back.
 */
export class OpenAiLlmService implements LlmService {
  readonly provider = 'openai' as const
  readonly model: string
  readonly embeddingDimensions: number | undefined
  readonly #deps: LlmServiceDeps
  readonly #config: LlmConfig
  readonly #breaker: CircuitBreaker<[() => Promise<unknown>], unknown>
  readonly #budget: TokenBudget
  readonly #chatModels = new Map<string, ChatOpenAI>()
  readonly #embeddings: OpenAIEmbeddings | undefined
  #budgetReported = false

  constructor(deps: LlmServiceDeps) {
    const { config, log } = deps
    this.#deps = deps
    this.#config = config
    this.model = config.model
    this.embeddingDimensions = config.embeddingDimensions
    this.#budget = TokenBudget.of(deps.tenant, config.budget, deps.redis)
    this.#breaker = new CircuitBreaker((run: () => Promise<unknown>) => run(), {
      // Attempts carry their own timeout; opossum's would not abort the request.
      timeout: false,
      errorThresholdPercentage: config.breaker.errorThresholdPercentage,
      volumeThreshold: config.breaker.volumeThreshold,
      resetTimeout: config.breaker.resetTimeoutMs,
      errorFilter: (error: unknown) => error instanceof AttemptFailure && !error.failure.upstream,
    })
    this.#breaker.on('open', () => log.warn({ model: this.model, resetTimeoutMs: config.breaker.resetTimeoutMs }, 'llm circuit breaker open: calls fail fast'))
    this.#breaker.on('halfOpen', () => log.info('llm circuit breaker half-open: letting one call through'))
    this.#breaker.on('close', () => log.info('llm circuit breaker closed'))
    this.#embeddings = config.embeddingModel
      ? new OpenAIEmbeddings({
          model: config.embeddingModel,
          apiKey: config.apiKey,
          configuration: { baseURL: config.baseURL },
          ...(config.embeddingDimensions ? { dimensions: config.embeddingDimensions } : {}),
          maxRetries: 0,
          // LangChain's embeddings take no signal; this ends requests we stopped waiting for.
          timeout: config.timeoutMs,
        })
      : undefined
  }

  async chat(messages: ChatMessage[], options: ChatOptions): Promise<ChatResult> {
    const model = this.#chatModel(options)
    const input = messages.map(toLangChain)
    const promptChars = messages.reduce((n, m) => n + m.content.length, 0)
    const { onToken } = options
    let streamed = ''
    try {
      const answer = await this.#call(
        options,
        async (attempt) => {
          if (!onToken) {
            const reply = await model.invoke(input, { signal: attempt.signal })
            return { text: reply.text, usage: reply.usage_metadata, model: reply.response_metadata?.model_name as string | undefined }
          }
          let text = ''
          let usage: UsageMetadata | undefined
          let modelName: string | undefined
          for await (const chunk of await model.stream(input, { signal: attempt.signal })) {
            attempt.restart()
            usage = chunk.usage_metadata ?? usage
            modelName = (chunk.response_metadata?.model_name as string | undefined) ?? modelName
            const delta = chunk.text
            if (!delta) continue
            text += delta
            streamed += delta
            try {
              onToken(delta)
            } catch (error) {
              throw new CallerFault(error)
            }
          }
          // LangChain ends an aborted stream quietly instead of throwing.
          attempt.signal.throwIfAborted()
          return { text, usage, model: modelName }
        },
        (answer) => {
          const prompt = answer.usage?.input_tokens ?? 0
          const completion = answer.usage?.output_tokens ?? 0
          return prompt + completion > 0 ? { prompt, completion } : { prompt: estimate(promptChars), completion: estimate(answer.text.length) }
        },
        // Once the caller has text, another attempt would repeat it: fail and let them fall back.
        () => streamed === '',
        estimate(promptChars) + (options.maxTokens ?? this.#config.maxTokens ?? EXPECTED_ANSWER_TOKENS),
      )
      const tokens = answer.tokens
      return { text: answer.value.text, model: answer.value.model ?? this.model, tokens: { ...tokens, total: tokens.prompt + tokens.completion } }
    } catch (error) {
      // The streamed part was generated and billed even though the call failed.
      if (streamed) await this.#pay({ prompt: estimate(promptChars), completion: estimate(streamed.length) })
      throw error
    }
  }

  async embed(texts: string[], options: { purpose: string; signal?: AbortSignal }): Promise<number[][]> {
    const embeddings = this.#embeddings
    if (!embeddings) throw new LlmUnavailableError('error', 'no embeddings model is configured for this tenant')
    if (texts.length === 0) return []
    const chars = texts.reduce((n, t) => n + t.length, 0)
    const { value } = await this.#call(
      options,
      (attempt) => raceSignal(embeddings.embedDocuments(texts), attempt.signal),
      // LangChain drops the usage the API reports for embeddings.
      () => ({ prompt: estimate(chars), completion: 0 }),
      undefined,
      estimate(chars),
    )
    return value
  }

  budgetRemaining(): Promise<number | undefined> {
    return this.#budget.remaining()
  }

  async dispose(): Promise<void> {
    this.#breaker.shutdown()
  }

  #chatModel(options: ChatOptions): ChatOpenAI {
    const temperature = options.temperature ?? this.#config.temperature
    const maxTokens = options.maxTokens ?? this.#config.maxTokens
    const key = `${temperature ?? ''}|${maxTokens ?? ''}`
    let model = this.#chatModels.get(key)
    if (!model) {
      // Callers pick from a few settings; a caller varying them per call must not grow this forever.
      if (this.#chatModels.size >= MAX_CACHED_MODELS) this.#chatModels.clear()
      model = new ChatOpenAI({
        model: this.#config.model,
        apiKey: this.#config.apiKey,
        configuration: { baseURL: this.#config.baseURL },
        // Retries are ours: the SDK's would ignore the deadline, the breaker and the streamed-text rule.
        maxRetries: 0,
        streamUsage: true,
        ...(temperature !== undefined ? { temperature } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
      })
      this.#chatModels.set(key, model)
    }
    return model
  }

  /** Admission, attempts through the breaker, retries, metrics and logging, for chat and embeddings alike. */
  async #call<T>(
    options: CallOptions,
    run: (attempt: Attempt) => Promise<T>,
    usageOf: (value: T) => Usage,
    mayRetry: () => boolean = () => true,
    /** Tokens the call is expected to cost, held against the budget while it runs. */
    expected = 0,
  ): Promise<{ value: T; tokens: Usage }> {
    const { tenant, metrics, lifetime, log } = this.#deps
    const { purpose, signal, deadline } = options
    const started = performance.now()
    let reserved = 0
    let sent = 0
    let attempts = 0
    let last: Failure | undefined
    try {
      const budgeted = await this.#admit(options)
      // Held while the call runs, so calls made at the same time cannot all spend the last tokens.
      reserved = budgeted ? expected : 0
      await this.#budget.spend(reserved)
      for (;;) {
        attempts++
        const attempt = new Attempt(this.#config.timeoutMs, deadline, [signal, lifetime])
        const probing = this.#breaker.halfOpen
        const settled = await this.#breaker
          .fire(() => {
            sent++
            return run(attempt).catch((error: unknown) => {
              throw new AttemptFailure(classify(error, attempt.stopped))
            })
          })
          .then(
            (value) => ({ value: value as T }),
            (error: unknown) => ({ failure: this.#read(error) }),
          )
          .finally(() => attempt.dispose())
        if ('value' in settled) {
          const tokens = usageOf(settled.value)
          metrics.llmCalls.inc({ tenant, purpose, outcome: 'ok' })
          await this.#pay(tokens, reserved)
          reserved = 0
          return { value: settled.value, tokens }
        }
        last = settled.failure
        // opossum reports a filtered error as a success, and a success closes a half-open breaker:
        // a probe that never heard from the provider (our deadline, a caller abort) proves nothing.
        if (probing && !last.upstream && this.#breaker.closed) this.#breaker.open()
        const wait = last.retryAfterMs ?? BACKOFF_MS * (0.5 + Math.random())
        const retry =
          last.retryable && attempts <= this.#config.retries && mayRetry() && wait <= MAX_RETRY_WAIT_MS && timeLeft(deadline) - wait >= MIN_ATTEMPT_MS
        if (!retry) {
          // The cause is our reading of the failure, never the SDK's error: that one may carry request details.
          const cause = { ...last, message: this.#scrub(last.message) }
          throw new LlmUnavailableError(last.reason, `llm call failed (${last.reason}): ${cause.message}`, { cause })
        }
        log.debug({ purpose, attempt: attempts, reason: last.reason, status: last.status, waitMs: Math.round(wait) }, 'llm attempt failed, retrying')
        await pause(wait, [signal, lifetime]).catch(() => {
          throw new LlmUnavailableError('aborted', 'the caller gave up while waiting to retry')
        })
      }
    } catch (error) {
      // Nothing was answered: give the hold back (a partly streamed answer is paid by the caller).
      if (reserved > 0) await this.#budget.refund(reserved)
      const failure = error instanceof LlmUnavailableError ? error : new LlmUnavailableError('error', this.#scrub(`llm call failed: ${String(error)}`))
      metrics.llmCalls.inc({ tenant, purpose, outcome: failure.reason })
      this.#report(failure, { purpose, attempts: sent, status: last?.status, code: last?.code })
      throw failure
    } finally {
      if (sent > 0) metrics.llmDuration.observe({ tenant, purpose }, (performance.now() - started) / 1000)
    }
  }

  /** Refuses before touching the network: caller gone, no time left, or no budget left. True when the tenant has a budget. */
  async #admit({ signal, deadline }: CallOptions): Promise<boolean> {
    if (signal?.aborted || this.#deps.lifetime?.aborted) throw new LlmUnavailableError('aborted', 'the caller gave up before the call')
    if (timeLeft(deadline) < MIN_ATTEMPT_MS) throw new LlmUnavailableError('timeout', 'too close to the deadline to call the model')
    const remaining = await this.#budget.remaining()
    if (remaining === undefined) return false
    if (remaining <= 0) throw new LlmUnavailableError('budget_exhausted', "the tenant's token budget is spent for now")
    this.#budgetReported = false
    return true
  }

  /** Reads what the breaker rejected with: an attempt's failure, or the breaker itself refusing. */
  #read(error: unknown): Failure {
    if (error instanceof AttemptFailure) return error.failure
    const code = (error as { code?: unknown } | undefined)?.code
    if (code === 'EOPENBREAKER') return { reason: 'breaker_open', retryable: false, upstream: false, message: 'the circuit breaker is open' }
    if (code === 'ESHUTDOWN') return { reason: 'aborted', retryable: false, upstream: false, message: 'the llm plugin has stopped' }
    return classify(error, undefined)
  }

  /** Charges what a call used, net of what it held while running. */
  async #pay(tokens: Usage, reserved = 0): Promise<void> {
    const { tenant, metrics } = this.#deps
    if (tokens.prompt > 0) metrics.llmTokens.inc({ tenant, kind: 'prompt' }, tokens.prompt)
    if (tokens.completion > 0) metrics.llmTokens.inc({ tenant, kind: 'completion' }, tokens.completion)
    const used = tokens.prompt + tokens.completion
    if (used >= reserved) await this.#budget.spend(used - reserved)
    else await this.#budget.refund(reserved - used)
  }

  #report(failure: LlmUnavailableError, details: { purpose: string; attempts: number; status?: number | undefined; code?: string | undefined }): void {
    const log = this.#deps.log
    const fields = { ...details, reason: failure.reason, model: this.model, error: failure.message }
    switch (failure.reason) {
      // One line per outage, not one per refused call: the open transition is logged by the breaker.
      case 'breaker_open':
        return log.debug(fields, 'llm call not made')
      // The caller chose to stop (turn over, plugin stopping): nothing is wrong with the provider.
      case 'aborted':
        return log.debug(fields, 'llm call abandoned')
      case 'budget_exhausted':
        if (this.#budgetReported) return log.debug(fields, 'llm call not made')
        this.#budgetReported = true
        return log.warn(fields, "llm token budget spent: calls are refused until the window resets")
      default:
        return log.warn(fields, 'llm call failed')
    }
  }

  /** Provider messages can quote the key (a 401 echoes part of it); none of it reaches a log. */
  #scrub(text: string): string {
    const key = this.#config.apiKey
    return key ? text.split(key).join('[redacted]') : text
  }
}
