import { container } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { agentContext, turnFor } from '../../test/kit/activities.js'
import { LlmToken, LlmUnavailableError, type ChatMessage, type ChatOptions, type LlmService } from '../llm/types.js'
import intent from './index.js'
import { IntentConfig } from './manifest.js'
import { parseIntent } from './fallback.js'

/** An LLM that answers from a script and remembers what it was asked. */
function fakeLlm(answer: (messages: ChatMessage[]) => string | Error) {
  const calls: { messages: ChatMessage[]; options: ChatOptions }[] = []
  const llm: LlmService = {
    provider: 'openai',
    model: 'fake',
    async chat(messages, options) {
      calls.push({ messages, options })
      const reply = answer(messages)
      if (reply instanceof Error) throw reply
      return { text: reply, tokens: { prompt: 10, completion: 1, total: 11 }, model: 'fake' }
    },
    async embed() {
      throw new LlmUnavailableError('error', 'no embeddings')
    },
    embeddingDimensions: undefined,
    async budgetRemaining() {
      return undefined
    },
  }
  return { llm, calls }
}

async function agent(llm: LlmService | undefined, raw: unknown = {}) {
  const scope = container.createChildContainer()
  if (llm) scope.register(LlmToken, { useValue: llm })
  const hooks = await intent.setup(agentContext(IntentConfig.parse(raw), { id: 'intent', container: scope }))
  return async (text: string) => {
    const turn = turnFor(text)
    await hooks.inbound!(turn, async () => {})
    return turn
  }
}

// Vague enough that the built-in model is unsure (asserted below), so the LLM is asked.
const UNCLEAR = 'regarding my earlier message'
const CLEAR = 'where is my order, the tracking has not moved'

describe('the LLM fallback', () => {
  it('is consulted for a message the built-in model finds vague', async () => {
    const turn = await (await agent(undefined))(UNCLEAR)
    expect(turn.state.intent!.confidence).toBeLessThan(0.55)
  })

  it('asks the LLM when the built-in model is unsure and takes a valid answer', async () => {
    const { llm, calls } = fakeLlm(() => 'billing')
    const say = await agent(llm)
    const turn = await say(UNCLEAR)
    expect(turn.state.intent).toMatchObject({ name: 'billing', source: 'llm' })
    expect(turn.annotations).toMatchObject({ intent: 'billing', intentSource: 'llm' })
    expect(turn.state.intent!.confidence).toBeGreaterThanOrEqual(0.55)
    expect(calls).toHaveLength(1)
    const { messages, options } = calls[0]!
    expect(options).toMatchObject({ purpose: 'intent', maxTokens: 10, temperature: 0, signal: turn.signal })
    expect(options.deadline).toBeLessThanOrEqual(Date.now() + 2_000)
    expect(messages.at(-1)).toEqual({ role: 'user', content: UNCLEAR })
    for (const name of ['greeting', 'refund_request', 'human_agent', 'other']) expect(messages[0]!.content).toContain(name)
  })

  it('does not ask when the built-in model is sure', async () => {
    const { llm, calls } = fakeLlm(() => 'billing')
    const turn = await (await agent(llm))(CLEAR)
    expect(turn.state.intent).toMatchObject({ name: 'order_status', source: 'builtin' })
    expect(calls).toHaveLength(0)
  })

  it('keeps the built-in answer when the LLM is unavailable or talks nonsense', async () => {
    for (const answer of [new LlmUnavailableError('breaker_open', 'open'), new Error('socket hang up'), 'I think it is about billing', 'refunds', '']) {
      const { llm, calls } = fakeLlm(() => answer)
      const turn = await (await agent(llm))(UNCLEAR)
      expect(calls).toHaveLength(1)
      expect(turn.state.intent?.source).toBe('builtin')
      expect(turn.annotations.intentSource).toBe('builtin')
    }
  })

  it('lets the LLM pick tenant intents, described by their examples', async () => {
    const { llm, calls } = fakeLlm(() => ' "store_hours". ')
    const say = await agent(llm, { intents: [{ name: 'store_hours', examples: ['what time do you open', 'opening hours', '几点开门'] }] })
    expect((await say(UNCLEAR)).state.intent?.name).toBe('store_hours')
    expect(calls[0]!.messages[0]!.content).toContain('store_hours: like: "what time do you open"')
  })

  it('escalates when the LLM says the customer wants a human', async () => {
    const { llm } = fakeLlm(() => 'human_agent')
    const turn = await (await agent(llm))(UNCLEAR)
    expect(turn.state.escalate).toEqual({ reason: 'asked_for_human', by: 'intent' })
  })

  it('stays silent when the tenant turned it off, or has no llm plugin', async () => {
    const { llm, calls } = fakeLlm(() => 'billing')
    expect((await (await agent(llm, { llm: { enabled: false } }))(UNCLEAR)).state.intent?.source).toBe('builtin')
    expect(calls).toHaveLength(0)
    expect((await (await agent(undefined))(UNCLEAR)).state.intent?.source).toBe('builtin')
  })
})

describe('parseIntent', () => {
  it('accepts exactly one known name, tolerating quotes and case', () => {
    const names = ['billing', 'other']
    expect(parseIntent('Billing', names)).toBe('billing')
    expect(parseIntent('`other`\n', names)).toBe('other')
    expect(parseIntent('billing, other', names)).toBeUndefined()
    expect(parseIntent('bill', names)).toBeUndefined()
  })
})
