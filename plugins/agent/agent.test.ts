import { container as rootContainer } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { Tokens, type Reply } from '../../core/index.js'
import { GatewayConfig } from '../../core/config/gateway-schema.js'
import { agentContext, turnFor } from '../../test/kit/activities.js'
import type { KnowledgeBase, Passage } from '../knowledge/types.js'
import { KnowledgeToken } from '../knowledge/types.js'
import { LlmToken, LlmUnavailableError, type ChatMessage, type ChatOptions, type LlmService } from '../llm/types.js'
import { POSTGRES_URL } from '../../test/databases.js'
import pg from 'pg'
import { BoundedMemorySaver, pruneCheckpoints } from './checkpointer.js'
import { buildAgentGraph } from './graph.js'
import agent from './index.js'
import { AgentConfig } from './manifest.js'

const pricing: Passage = {
  id: 'p1',
  source: 'pricing.md',
  title: 'Plans',
  text: 'Basic costs €4.99 per month.\nPro costs €9.99 per month and adds video history.\nBusiness costs €29 per month per site.',
  score: 0.9,
}
const pricingZh: Passage = { id: 'p2', source: 'pricing.zh.md', title: '套餐', text: '基础版每月 4.99 欧元。\n专业版每月 9.99 欧元，包含视频历史记录。', score: 0.8 }

/** A knowledge base that knows prices and nothing else. */
const staticKnowledge: KnowledgeBase = {
  async search(query) {
    return /price|plan|cost|价格|套餐/i.test(query) ? [pricing, pricingZh] : []
  },
  async stats() {
    return { chunks: 2, sources: 2 }
  },
}

/** An LLM that answers as told, or fails as told. */
class ScriptedLlm implements LlmService {
  readonly provider = 'openai' as const
  readonly model = 'scripted'
  readonly embeddingDimensions = undefined
  readonly calls: ChatMessage[][] = []
  answer = 'Pro costs €9.99 per month [1].'
  failure: LlmUnavailableError | undefined
  async chat(messages: ChatMessage[], options: ChatOptions) {
    this.calls.push(messages)
    if (this.failure) throw this.failure
    for (const word of this.answer.split(/(?<= )/)) options.onToken?.(word)
    return { text: this.answer, tokens: { prompt: 100, completion: 12, total: 112 }, model: this.model }
  }
  async embed(): Promise<number[][]> {
    throw new LlmUnavailableError('error', 'no embeddings')
  }
  async budgetRemaining() {
    return undefined
  }
}

async function talkTo(config: Partial<AgentConfig> = {}, services: { llm?: LlmService; knowledge?: KnowledgeBase; databaseUrl?: string; conversationId?: string } = {}) {
  const container = rootContainer.createChildContainer()
  container.register(Tokens.GatewayConfig, { useValue: GatewayConfig.parse(services.databaseUrl ? { storage: { databaseUrl: services.databaseUrl } } : {}) })
  container.register(KnowledgeToken, { useValue: services.knowledge ?? staticKnowledge })
  if (services.llm) container.register(LlmToken, { useValue: services.llm })
  const ctx = agentContext(AgentConfig.parse(config), { container, id: 'agent' })
  const hooks = await agent.setup(ctx)
  const conversationId = services.conversationId ?? `c-${Math.random().toString(36).slice(2)}`
  return {
    ctx,
    /** For tests that drive the graph directly. */
    lastTurn: undefined as ReturnType<typeof turnFor> | undefined,
    async ask(text: string, prepare: (turn: ReturnType<typeof turnFor>) => void = () => {}, stream?: (d: string) => void) {
      const turn = turnFor(text, { conversationId, ...(stream ? { stream } : {}) })
      prepare(turn)
      const reply = (await hooks.respond!(turn)) as Reply
      const first = reply.parts[0]!
      return { reply, text: first.type === 'text' || first.type === 'choice' ? first.text : '', annotations: turn.annotations, turn }
    },
    stop: () => ctx.scope.dispose(),
  }
}

describe('the agent with the built-in provider', () => {
  it('answers from the knowledge base, quoting it and citing the source, in the customer’s language', async () => {
    const bot = await talkTo()
    const en = await bot.ask('How much is the Pro plan?')
    expect(en.text).toContain('€9.99')
    expect(en.text).toContain('Source: pricing.md › Plans')
    expect(en.annotations).toMatchObject({ route: 'knowledge', provider: 'builtin', grounded: true, sources: [{ source: 'pricing.md', title: 'Plans', score: 0.9 }] })
    const zh = await bot.ask('专业版套餐的价格是多少？')
    expect(zh.text).toContain('9.99 欧元')
    expect(zh.text).toContain('来源：pricing.zh.md')
    await bot.stop()
  })

  it('hands over to a human when another plugin flagged the turn, and says so only once', async () => {
    const bot = await talkTo()
    const upset = (turn: ReturnType<typeof turnFor>) => (turn.state.escalate = { reason: 'complaint_negative', by: 'sentiment' })
    const first = await bot.ask('this is unacceptable', upset)
    expect(first.reply.handoff).toBe(true)
    expect(first.text).toMatch(/human colleague/)
    expect(first.annotations).toMatchObject({ route: 'escalate', escalate: true, escalateReason: 'complaint_negative' })
    const second = await bot.ask('still waiting', upset)
    expect(second.text).toMatch(/has been notified/)
    await bot.stop()
  })

  it('greets, asks back when a message says too little, and admits what it does not know', async () => {
    const bot = await talkTo()
    const greeting = await bot.ask('hi', (t) => (t.state.intent = { name: 'greeting', confidence: 0.9, source: 'builtin', alternatives: [] }))
    expect(greeting.annotations.route).toBe('smalltalk')
    const vague = await bot.ask('hmm?', (t) => (t.state.intent = { name: 'other', confidence: 0.3, source: 'builtin', alternatives: [] }))
    expect(vague.annotations.route).toBe('clarify')
    expect(vague.reply.parts[0]!.type).toBe('choice')
    const unknown = await bot.ask('Do you sell garden furniture in Norway?', (t) => (t.state.intent = { name: 'product_inquiry', confidence: 0.8, source: 'builtin', alternatives: [] }))
    expect(unknown.annotations).toMatchObject({ route: 'knowledge', grounded: false, sources: [] })
    expect(unknown.text).toMatch(/couldn't find/)
    await bot.stop()
  })
})

describe('the agent with an LLM', () => {
  it('streams the answer as it is written and records provider and tokens', async () => {
    const llm = new ScriptedLlm()
    const bot = await talkTo({ provider: 'openai' }, { llm })
    const deltas: string[] = []
    const answer = await bot.ask('How much is the Pro plan?', undefined, (d) => deltas.push(d))
    expect(answer.text).toBe('Pro costs €9.99 per month [1].')
    expect(deltas.length).toBeGreaterThan(3)
    expect(deltas.join('')).toBe(answer.text)
    expect(answer.annotations).toMatchObject({ provider: 'openai', grounded: true, tokens: { total: 112 } })
    expect(llm.calls[0]![0]!.content).toContain('[1] (pricing.md › Plans)')
    await bot.stop()
  })

  it('remembers the conversation: the second question carries the first exchange', async () => {
    const llm = new ScriptedLlm()
    const bot = await talkTo({ provider: 'openai' }, { llm })
    await bot.ask('How much is the Pro plan?')
    await bot.ask('And the Basic plan price?')
    const second = llm.calls[1]!
    expect(second.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user'])
    expect(second[1]!.content).toBe('How much is the Pro plan?')
    await bot.stop()
  })

  it('forgets a turn that never committed: its rerun starts from the last committed checkpoint', async () => {
    const llm = new ScriptedLlm()
    const bot = await talkTo({ provider: 'openai' }, { llm })
    const committed: Record<string, unknown> = {}
    const first = await bot.ask('How much is the Pro plan?', (t) => Object.assign(t.memory, committed))
    Object.assign(committed, first.turn.memory) // the engine saves memory with the turn's commit
    await bot.ask('What about the Basic plan price?', (t) => Object.assign(t.memory, committed)) // crashed before its commit
    await bot.ask('What about the Basic plan price?', (t) => Object.assign(t.memory, committed)) // the rerun
    expect(llm.calls[2]!.map((m) => m.content).slice(1)).toEqual(['How much is the Pro plan?', 'Pro costs €9.99 per month [1].', 'What about the Basic plan price?'])
    await bot.stop()
  })

  it('remembers across a restart when the gateway has PostgreSQL', async () => {
    const conversationId = `c-${Math.random().toString(36).slice(2)}`
    const llm = new ScriptedLlm()
    const before = await talkTo({ provider: 'openai' }, { llm, databaseUrl: POSTGRES_URL, conversationId })
    await before.ask('How much is the Pro plan?')
    await before.stop()
    const after = await talkTo({ provider: 'openai' }, { llm, databaseUrl: POSTGRES_URL, conversationId })
    await after.ask('And the Basic plan price?')
    expect(llm.calls[1]!.map((m) => m.content)).toContain('How much is the Pro plan?')
    await after.stop()
  })

  it('prunes old checkpoints on PostgreSQL without losing the conversation', async () => {
    const conversationId = `c-${Math.random().toString(36).slice(2)}`
    const thread = `acme:${conversationId}`
    const llm = new ScriptedLlm()
    const bot = await talkTo({ provider: 'openai' }, { llm, databaseUrl: POSTGRES_URL, conversationId })
    const committed: Record<string, unknown> = {}
    const ask = async (text: string) => Object.assign(committed, (await bot.ask(text, (t) => Object.assign(t.memory, committed))).turn.memory)
    for (let i = 1; i <= 6; i++) await ask(`How much is the Pro plan, question ${i}?`)
    const pool = new pg.Pool({ connectionString: POSTGRES_URL })
    try {
      const count = async (table: string) => Number((await pool.query(`SELECT count(*) FROM langgraph.${table} WHERE thread_id = $1`, [thread])).rows[0].count)
      expect(await count('checkpoints')).toBe(6)
      const blobsBefore = await count('checkpoint_blobs')
      await pruneCheckpoints(pool)
      expect(await count('checkpoints')).toBe(3)
      expect(await count('checkpoint_blobs')).toBeLessThan(blobsBefore)
      await ask('And the Basic plan price?')
      const seen = llm.calls.at(-1)!.map((m) => m.content)
      expect(seen).toContain('How much is the Pro plan, question 2?') // history (10 messages) survived the pruning
      expect(seen.at(-1)).toBe('And the Basic plan price?')
    } finally {
      await pool.end()
      await bot.stop()
    }
  })

  it('falls back to the built-in answer when the LLM is unavailable, never to an error', async () => {
    const llm = new ScriptedLlm()
    llm.failure = new LlmUnavailableError('timeout', 'took too long')
    const bot = await talkTo({ provider: 'openai' }, { llm })
    const answer = await bot.ask('How much is the Pro plan?')
    expect(answer.text).toContain('€9.99')
    expect(answer.annotations).toMatchObject({ provider: 'builtin', llmFallback: 'timeout', grounded: true })
    await bot.stop()
  })

  it('or hands over to a human when the tenant prefers that', async () => {
    const llm = new ScriptedLlm()
    llm.failure = new LlmUnavailableError('budget_exhausted', 'no tokens left')
    const bot = await talkTo({ provider: 'openai', fallback: 'human' }, { llm })
    const answer = await bot.ask('How much is the Pro plan?')
    expect(answer.reply.handoff).toBe(true)
    expect(answer.annotations).toMatchObject({ escalate: true, escalateReason: 'llm_budget_exhausted', llmFallback: 'budget_exhausted' })
    await bot.stop()
  })

  it('replaces an answer its sources do not back, says so and offers a human', async () => {
    const llm = new ScriptedLlm()
    llm.answer = 'The Pro plan costs €7.49 and includes a free drone.'
    const bot = await talkTo({ provider: 'openai' }, { llm })
    const answer = await bot.ask('How much is the Pro plan?')
    expect(answer.text).not.toContain('7.49')
    expect(answer.text).toContain('€9.99')
    expect(answer.reply.parts.at(-1)).toMatchObject({ type: 'choice', options: [{ title: 'Talk to a person' }] })
    expect(answer.annotations).toMatchObject({ grounded: false, ungrounded: true })
    await bot.stop()
  })

  it('refuses to start with provider openai but no llm plugin above it', async () => {
    const container = rootContainer.createChildContainer()
    container.register(Tokens.GatewayConfig, { useValue: GatewayConfig.parse({}) })
    await expect(agent.setup(agentContext(AgentConfig.parse({ provider: 'openai' }), { container }))).rejects.toThrow(/needs an llm plugin/)
  })
})

describe('the in-memory checkpointer', () => {
  it('keeps a few checkpoints per conversation and a bounded number of conversations', async () => {
    const saver = new BoundedMemorySaver(2, 3)
    const bot = await talkTo({}, {})
    const graph = buildAgentGraph({ config: AgentConfig.parse({}), knowledge: staticKnowledge }, () => bot.lastTurn, saver)
    for (const thread of ['a', 'b', 'c']) {
      for (let i = 0; i < 6; i++) {
        bot.lastTurn = turnFor(`How much is the Pro plan? ${i}`, { conversationId: thread })
        await graph.invoke({ text: bot.lastTurn.activity.text }, { configurable: { thread_id: thread, turn_id: 'x' }, durability: 'exit' })
      }
    }
    expect(saver.threads).toBe(2)
    expect(Object.keys(saver.storage).sort()).toEqual(['b', 'c'])
    expect(Object.keys(saver.storage.c![''] ?? {})).toHaveLength(3)
    const state = await graph.getState({ configurable: { thread_id: 'c' } })
    expect(state.values.history).toHaveLength(10) // the default history window, still intact
    await bot.stop()
  })
})
