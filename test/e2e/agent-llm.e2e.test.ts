import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Tokens } from '../../core/di/tokens.js'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient, type BotMessage } from '../harness/ws-client.js'
import { llmAgentTenant, quotingModel, tempConfig } from '../kit/tenants.js'

// A tenant whose agent writes answers with an OpenAI-compatible LLM — the fake on 127.0.0.1,
// reached through the real @langchain/openai client — grounded in the demo knowledge base.
let llm: FakeOpenAI
let gw: TestGateway
let config: Awaited<ReturnType<typeof tempConfig>>
const clients: ChatClient[] = []

beforeAll(async () => {
  llm = await startFakeOpenAI({ responder: quotingModel, tokenDelayMs: 2 })
  config = await tempConfig({
    streaming: llmAgentTenant('streaming', llm.url),
    flaky: llmAgentTenant('flaky', llm.url, { timeoutMs: 300, retries: 1, breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } }),
    frugal: llmAgentTenant('frugal', llm.url, { budget: { tokensPerHour: 40 } }),
  }, { demoKnowledge: true })
  gw = await startTestGateway({ configDir: config.dir, env: { FAKE_OPENAI_KEY: llm.apiKey } })
})
afterAll(async () => {
  for (const c of clients) c.close()
  await gw?.close()
  await llm?.close()
  await config?.remove()
})

const customerOf = async (tenantId: string) => {
  const client = new ChatClient(gw.wsUrl(tenantId))
  clients.push(client)
  await client.connect()
  return client
}
const annotationsOf = async (tenantId: string, reply: BotMessage) => {
  const entries = await gw.gateway.container.resolve(Tokens.Transcript).byTurn(tenantId, reply.turn_id!)
  return entries.find((e) => e.direction === 'in')!.annotations
}
const chatRequests = () => llm.requests.filter((r) => r.route === 'chat').length

describe('the agent with an OpenAI-compatible LLM', () => {
  it('streams the answer to the web chat token by token, then sends it whole, grounded and cited', async () => {
    const ana = await customerOf('streaming')
    await ana.say('How much is the Pro plan per month?')
    const answer = await ana.reply()
    const deltas = ana.drafts.get(answer.turn_id!) ?? []
    expect(deltas.length).toBeGreaterThan(3)
    expect(deltas.join('').trim()).toBe(answer.text)
    expect(answer.text).toMatch(/\[1\]$/)
    expect(await annotationsOf('streaming', answer)).toMatchObject({ provider: 'openai', grounded: true, tokens: { total: expect.any(Number) } })
    // The real client spoke to the fake with the tenant's key, streaming, with the passages.
    const request = llm.requests.filter((r) => r.route === 'chat').at(-1)!
    expect(request.headers.authorization).toBe(`Bearer ${llm.apiKey}`)
    expect(request.body).toMatchObject({ model: 'gpt-4o-mini', stream: true })
    expect(request.body.messages[0].content).toContain('Passages:')
  })

  it('answers from the knowledge base when the LLM hangs, and stops calling it once the breaker opens', async () => {
    llm.script(() => new Promise<string>(() => {})) // accepts every request and never answers
    const bo = await customerOf('flaky')
    const outcomes: unknown[] = []
    for (const question of ['How much is the Pro plan?', 'How long does shipping take?', 'How do I get a VAT invoice?']) {
      await bo.say(question)
      const answer = await bo.reply()
      expect(answer.text).toMatch(/Source: /) // the built-in answer, quoted from the knowledge base
      outcomes.push((await annotationsOf('flaky', answer)).llmFallback)
    }
    expect(outcomes[0]).toBe('timeout')
    expect(outcomes.at(-1)).toBe('breaker_open')
    const before = chatRequests()
    await bo.say('What does the Basic plan cost?')
    expect((await annotationsOf('flaky', await bo.reply())).llmFallback).toBe('breaker_open')
    expect(chatRequests()).toBe(before)
    llm.script(quotingModel)
  })

  it('stops calling the LLM when the tenant’s token budget is spent, and still answers', async () => {
    const cy = await customerOf('frugal')
    await cy.say('How much is the Pro plan?')
    expect(await annotationsOf('frugal', await cy.reply())).toMatchObject({ provider: 'openai' })
    const before = chatRequests()
    await cy.say('How long does shipping take?')
    const second = await cy.reply()
    expect(second.text).toMatch(/Source: /)
    expect(await annotationsOf('frugal', second)).toMatchObject({ provider: 'builtin', llmFallback: 'budget_exhausted' })
    expect(chatRequests()).toBe(before)
  })
})
