import pino from 'pino'
import { container as rootContainer } from 'tsyringe'
import { Tokens } from '../../core/di/tokens.js'
import { closeRedis, openRedis, waitForRedis } from '../../core/redis/client.js'
import { REDIS_URL } from '../../test/databases.js'
import { afterEach, describe, expect, it } from 'vitest'
import type { Metrics } from '../../core/observability/metrics.js'
import { startFakeOpenAI, type FakeOpenAI } from '../../test/fakes/openai.js'
import { embed } from '../../test/fakes/openai-model.js'
import { agentContext } from '../../test/kit/activities.js'
import llm from './index.js'
import { LlmConfig } from './manifest.js'
import { LlmToken, LlmUnavailableError, type LlmService } from './types.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

interface Setup {
  config?: Record<string, unknown>
  log?: pino.Logger
  fake?: FakeOpenAI
}

/** A tenant's llm plugin, set up the way the tenant runtime does it, pointed at a fresh fake. */
async function tenantLlm({ config = {}, log, fake: given }: Setup = {}) {
  const fake = given ?? (await startFakeOpenAI())
  const parsed = LlmConfig.parse({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 300, ...config })
  const ctx = { ...agentContext(parsed, { tenant: 'acme', id: 'llm' }), ...(log ? { log } : {}) }
  await llm.setup(ctx)
  cleanups.push(() => fake.close(), () => ctx.scope.dispose())
  return { fake, llm: ctx.container.resolve(LlmToken) as LlmService, metrics: ctx.metrics, scope: ctx.scope }
}

const failureOf = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(LlmUnavailableError)
      return error as LlmUnavailableError
    },
  )

const ask = (service: LlmService, text: string, options: Partial<Parameters<LlmService['chat']>[1]> = {}) =>
  service.chat([{ role: 'user', content: text }], { purpose: 'agent', ...options })

async function counted(metrics: Metrics, name: 'llmCalls' | 'llmTokens', labels: Record<string, string>): Promise<number> {
  const { values } = await metrics[name].get()
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k as keyof typeof v.labels] === l)).reduce((n, v) => n + v.value, 0)
}

describe('the llm service', () => {
  it('answers with the token usage the provider reports, and counts it', async () => {
    const { fake, llm: service, metrics } = await tenantLlm()
    const result = await service.chat(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'ping' },
      ],
      { purpose: 'agent' },
    )
    expect(result).toEqual({ text: 'You said: ping', model: 'gpt-4o-mini', tokens: { prompt: 16, completion: 3, total: 19 } })
    expect(fake.requests).toHaveLength(1)
    expect(fake.requests[0]!.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'ping' },
      ],
    })
    expect(fake.requests[0]!.body.stream).toBeFalsy()
    expect(await counted(metrics, 'llmCalls', { tenant: 'acme', purpose: 'agent', outcome: 'ok' })).toBe(1)
    expect(await counted(metrics, 'llmTokens', { kind: 'prompt' })).toBe(16)
    expect(await counted(metrics, 'llmTokens', { kind: 'completion' })).toBe(3)
    expect((await metrics.llmDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(1)
    expect(await service.budgetRemaining()).toBeUndefined()
  })

  it('streams to onToken token by token, in order, and returns the same text', async () => {
    const { fake, llm: service } = await tenantLlm()
    fake.script(() => 'Your order ships tomorrow, 明天发货.')
    const deltas: string[] = []
    const result = await ask(service, 'where is my order?', { onToken: (d) => deltas.push(d) })
    expect(deltas).toEqual(['Your ', 'order ', 'ships ', 'tomorrow, ', '明', '天', '发', '货', '.'])
    expect(result.text).toBe(deltas.join(''))
    expect(result.tokens).toMatchObject({ completion: 9 })
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
  })

  it('passes per-call temperature and maxTokens', async () => {
    const { fake, llm: service } = await tenantLlm({ config: { temperature: 0.2 } })
    await ask(service, 'a')
    await ask(service, 'b', { temperature: 0.9, maxTokens: 2 })
    expect(fake.requests.map((r) => [r.body.temperature, r.body.max_tokens])).toEqual([
      [0.2, undefined],
      [0.9, 2],
    ])
  })
})

describe('retries', () => {
  it('retries once after a 429, honouring a short Retry-After', async () => {
    const { fake, llm: service, metrics } = await tenantLlm()
    fake.inject({ kind: 'rate_limit', retryAfter: 0.05 })
    expect((await ask(service, 'hi')).text).toBe('You said: hi')
    expect(fake.requests.map((r) => r.fault)).toEqual(['rate_limit', undefined])
    expect(await counted(metrics, 'llmCalls', { outcome: 'ok' })).toBe(1)
  })

  it('does not wait out a long Retry-After', async () => {
    const { fake, llm: service } = await tenantLlm()
    fake.inject({ kind: 'rate_limit', retryAfter: 30 })
    expect((await failureOf(ask(service, 'hi'))).reason).toBe('error')
    expect(fake.requests).toHaveLength(1)
  })

  it('gives up with reason error after a 500 twice', async () => {
    const { fake, llm: service, metrics } = await tenantLlm()
    fake.inject({ kind: 'server_error', status: 500 }, 2)
    const failure = await failureOf(ask(service, 'hi'))
    expect(failure.reason).toBe('error')
    expect(fake.requests).toHaveLength(2)
    expect(await counted(metrics, 'llmCalls', { outcome: 'error' })).toBe(1)
  })

  it('does not retry what the provider refused as a bad request or a bad key', async () => {
    const fake = await startFakeOpenAI({ apiKey: 'sk-the-right-one-0000' })
    const { llm: service } = await tenantLlm({ fake, config: { apiKey: 'sk-a-wrong-one-1111' } })
    expect((await failureOf(ask(service, 'hi'))).reason).toBe('error')
    expect(fake.requests).toHaveLength(1)
  })

  it('retries a stream that failed before its first token, but never one that already spoke', async () => {
    const { fake, llm: service } = await tenantLlm()
    fake.inject({ kind: 'server_error', status: 503 })
    const first: string[] = []
    expect((await ask(service, 'one two', { onToken: (d) => first.push(d) })).text).toBe('You said: one two')
    expect(first.join('')).toBe('You said: one two')

    fake.inject({ kind: 'disconnect', afterTokens: 2 })
    const second: string[] = []
    const failure = await failureOf(ask(service, 'three four', { onToken: (d) => second.push(d) }))
    expect(failure.reason).toBe('error')
    expect(second).toEqual(['You ', 'said: '])
    expect(fake.requests).toHaveLength(3)
  })
})

describe('timeouts, the deadline and the circuit breaker', () => {
  it('times out a hanging provider, then opens the breaker and fails fast without calling it', async () => {
    const { fake, llm: service, metrics } = await tenantLlm({ config: { retries: 0, breaker: { volumeThreshold: 2, resetTimeoutMs: 400 } } })
    fake.inject({ kind: 'hang' }, 2)
    const started = Date.now()
    expect((await failureOf(ask(service, 'a'))).reason).toBe('timeout')
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(3_000)
    expect((await failureOf(ask(service, 'b'))).reason).toBe('timeout')

    expect((await failureOf(ask(service, 'c'))).reason).toBe('breaker_open')
    expect(fake.requests).toHaveLength(2)
    expect(await counted(metrics, 'llmCalls', { outcome: 'breaker_open' })).toBe(1)

    // Half-open after resetTimeout: one call goes through, and its success closes the breaker.
    await new Promise((r) => setTimeout(r, 500))
    expect((await ask(service, 'd')).text).toBe('You said: d')
    expect((await ask(service, 'e')).text).toBe('You said: e')
    expect(fake.requests).toHaveLength(4)
  })

  it('retries a timed-out attempt once', async () => {
    const { fake, llm: service } = await tenantLlm()
    fake.inject({ kind: 'hang' })
    expect((await ask(service, 'hi')).text).toBe('You said: hi')
    expect(fake.requests.map((r) => r.fault)).toEqual(['hang', undefined])
  })

  it('only times out a stream that goes quiet, not one that keeps talking', async () => {
    // Twelve tokens 40 ms apart take longer than the 300 ms timeout, but no gap comes close to it.
    const { fake, llm: service } = await tenantLlm({ config: { timeoutMs: 300 } })
    fake.script(() => 'a b c d e f g h i j k l')
    fake.inject({ kind: 'slow', tokenDelayMs: 40 })
    const deltas: string[] = []
    expect((await ask(service, 'x', { onToken: (d) => deltas.push(d) })).text).toBe('a b c d e f g h i j k l')
    expect(deltas).toHaveLength(12)
  })

  it('gives up without calling when the deadline is too near', async () => {
    const { fake, llm: service } = await tenantLlm()
    expect((await failureOf(ask(service, 'hi', { deadline: Date.now() + 20 }))).reason).toBe('timeout')
    expect((await failureOf(ask(service, 'hi', { deadline: Date.now() - 1_000 }))).reason).toBe('timeout')
    expect(fake.requests).toHaveLength(0)
  })

  it('never runs past the deadline, and a deadline cut-off does not count against the provider', async () => {
    const { fake, llm: service } = await tenantLlm({ config: { timeoutMs: 5_000, breaker: { volumeThreshold: 1 } } })
    fake.inject({ kind: 'hang' }, 2)
    const started = Date.now()
    expect((await failureOf(ask(service, 'hi', { deadline: Date.now() + 300 }))).reason).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(fake.requests).toHaveLength(1)
    // With a volume threshold of 1, a failure the breaker counted would have opened it.
    expect((await failureOf(ask(service, 'again', { deadline: Date.now() + 300 }))).reason).toBe('timeout')
    expect((await ask(service, 'and again')).text).toBe('You said: and again')
    expect(fake.requests).toHaveLength(3)
  })
})

describe('aborting', () => {
  it('fails with aborted, without calling, when the signal is already aborted', async () => {
    const { fake, llm: service, metrics } = await tenantLlm()
    const controller = new AbortController()
    controller.abort()
    expect((await failureOf(ask(service, 'hi', { signal: controller.signal }))).reason).toBe('aborted')
    expect(fake.requests).toHaveLength(0)
    expect(await counted(metrics, 'llmCalls', { outcome: 'aborted' })).toBe(1)
  })

  it('stops a call in flight when the caller aborts, without retrying', async () => {
    const { fake, llm: service } = await tenantLlm({ config: { timeoutMs: 5_000 } })
    fake.inject({ kind: 'hang' })
    const started = Date.now()
    const failure = await failureOf(ask(service, 'hi', { signal: AbortSignal.timeout(100) }))
    expect(failure.reason).toBe('aborted')
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(fake.requests).toHaveLength(1)
  })

  it('fails calls with aborted once the plugin is stopped', async () => {
    const { fake, llm: service, scope } = await tenantLlm()
    await scope.dispose()
    expect((await failureOf(ask(service, 'hi'))).reason).toBe('aborted')
    expect(fake.requests).toHaveLength(0)
  })
})

describe('the token budget', () => {
  it('refuses calls once the hourly budget is spent, without calling the provider', async () => {
    const { fake, llm: service, metrics } = await tenantLlm({ config: { budget: { tokensPerHour: 10 } } })
    expect(await service.budgetRemaining()).toBe(10)
    await ask(service, 'ping') // 7 prompt + 3 completion tokens at the fake
    expect(await service.budgetRemaining()).toBe(0)
    expect((await failureOf(ask(service, 'ping'))).reason).toBe('budget_exhausted')
    expect(fake.requests).toHaveLength(1)
    expect(await counted(metrics, 'llmCalls', { outcome: 'budget_exhausted' })).toBe(1)
  })

  it('survives a reload: the rebuilt plugin does not hand the tenant a fresh allowance', async () => {
    const before = await tenantLlm({ config: { budget: { tokensPerHour: 25 } } })
    await ask(before.llm, 'ping')
    await before.scope.dispose()
    const after = await tenantLlm({ config: { budget: { tokensPerHour: 25 } } })
    expect(await after.llm.budgetRemaining()).toBe(15)
  })

  it('is shared by every replica when the gateway has Redis', async () => {
    const redis = openRedis(REDIS_URL)
    await waitForRedis(redis)
    const tenant = `budget-${Math.random().toString(36).slice(2, 8)}`
    try {
      const replica = async () => {
        const container = rootContainer.createChildContainer()
        container.register(Tokens.Redis, { useValue: redis })
        const fake = await startFakeOpenAI()
        const ctx = agentContext(LlmConfig.parse({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 300, budget: { tokensPerHour: 25 } }), { tenant, id: 'llm', container })
        await llm.setup(ctx)
        cleanups.push(() => fake.close(), () => ctx.scope.dispose())
        return ctx.container.resolve(LlmToken)
      }
      const [one, two] = [await replica(), await replica()]
      await ask(one, 'ping')
      expect(await two.budgetRemaining()).toBe(15)
      await ask(two, 'ping')
      await ask(two, 'ping')
      expect((await failureOf(ask(one, 'ping'))).reason).toBe('budget_exhausted')
    } finally {
      const keys = await redis.keys(`sb:{${tenant}}:*`)
      if (keys.length) await redis.del(...keys)
      await closeRedis(redis)
    }
  })

  it('holds what a running call is expected to cost, so calls at the same time cannot all spend the last tokens', async () => {
    const fake = await startFakeOpenAI()
    const { llm: service } = await tenantLlm({ fake, config: { budget: { tokensPerHour: 200 } } })
    fake.inject({ kind: 'slow', delayMs: 150, route: 'chat' })
    const first = ask(service, 'a question that takes a while to answer')
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5))
    expect((await failureOf(ask(service, 'ping'))).reason).toBe('budget_exhausted') // 256 answer tokens held
    await first
    expect(await service.budgetRemaining()).toBeGreaterThan(150) // the hold became what was used
    expect(fake.requests.filter((r) => r.route === 'chat')).toHaveLength(1)
  })

  it('keeps the tightest of the hourly and daily windows, letting the last call overshoot', async () => {
    const { fake, llm: service } = await tenantLlm({ config: { budget: { tokensPerHour: 1_000, tokensPerDay: 12 } } })
    await ask(service, 'ping')
    expect(await service.budgetRemaining()).toBe(2)
    await ask(service, 'ping')
    expect(await service.budgetRemaining()).toBe(0)
    expect((await failureOf(ask(service, 'ping'))).reason).toBe('budget_exhausted')
    expect(fake.requests).toHaveLength(2)
  })

  it('charges about four characters a token when the provider reports no usage', async () => {
    const fake = await startFakeOpenAI({ reportUsage: false })
    const { llm: service } = await tenantLlm({ fake, config: { budget: { tokensPerHour: 1_000 } } })
    fake.script(() => 'x'.repeat(40))
    const streamed = await ask(service, 'y'.repeat(40), { onToken: () => {} })
    expect(streamed.tokens).toEqual({ prompt: 10, completion: 10, total: 20 })
    const invoked = await ask(service, 'y'.repeat(40))
    expect(invoked.tokens).toEqual({ prompt: 10, completion: 10, total: 20 })
    expect(await service.budgetRemaining()).toBe(960)
  })
})

describe('embeddings', () => {
  it('embeds through the base64 wire format at the configured dimensions', async () => {
    const { fake, llm: service, metrics } = await tenantLlm({ config: { embeddingModel: 'text-embedding-3-small', embeddingDimensions: 32 } })
    expect(service.embeddingDimensions).toBe(32)
    const vectors = await service.embed(['refund policy', 'opening hours'], { purpose: 'knowledge' })
    expect(vectors).toEqual([embed('refund policy', 32), embed('opening hours', 32)])
    expect(fake.requests[0]!.body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 32, encoding_format: 'base64' })
    expect(await counted(metrics, 'llmCalls', { purpose: 'knowledge', outcome: 'ok' })).toBe(1)
    expect(await service.embed([], { purpose: 'knowledge' })).toEqual([])
  })

  it('fails over to LlmUnavailableError: no model, provider errors, timeouts', async () => {
    const { llm: plain } = await tenantLlm()
    expect((await failureOf(plain.embed(['x'], { purpose: 'knowledge' }))).reason).toBe('error')

    const { fake, llm: service } = await tenantLlm({ config: { embeddingModel: 'text-embedding-3-small', retries: 0 } })
    fake.inject({ kind: 'server_error', status: 502, route: 'embeddings' })
    expect((await failureOf(service.embed(['x'], { purpose: 'knowledge' }))).reason).toBe('error')
    fake.inject({ kind: 'hang', route: 'embeddings' })
    expect((await failureOf(service.embed(['x'], { purpose: 'knowledge' }))).reason).toBe('timeout')
  })
})

describe('logging', () => {
  it('logs failures at warn and never the API key', async () => {
    const lines: string[] = []
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) })
    const secretKey = 'sk-live-DO-NOT-LOG-4f9a1c2b7e'
    const fake = await startFakeOpenAI({ apiKey: secretKey })
    const { llm: service } = await tenantLlm({ fake, log, config: { apiKey: secretKey, retries: 1, breaker: { volumeThreshold: 50 } } })
    fake.inject({ kind: 'server_error' }, 2)
    fake.inject({ kind: 'rate_limit', retryAfter: 0 })
    fake.inject({ kind: 'hang' }, 2)
    for (const text of ['a', 'b', 'c', 'd']) await ask(service, text).catch((e: unknown) => e)

    const { llm: wrongKey } = await tenantLlm({ fake, log, config: { apiKey: 'sk-live-ALSO-SECRET-0b1d2e3f4a' } })
    const failure = await failureOf(ask(wrongKey, 'e'))
    expect(failure.message).not.toContain('sk-live-ALSO-SECRET-0b1d2e3f4a')

    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; reason?: string }).filter((l) => l.level === 40)
    expect(warnings.map((w) => w.reason)).toEqual(expect.arrayContaining(['error', 'timeout']))
    const all = lines.join('\n')
    expect(all).not.toContain(secretKey)
    expect(all).not.toContain('sk-live-ALSO-SECRET-0b1d2e3f4a')
  })
})
