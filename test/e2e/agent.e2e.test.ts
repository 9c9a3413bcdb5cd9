import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Tokens } from '../../core/di/tokens.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient, type BotMessage } from '../harness/ws-client.js'

// The demo tenant as shipped: intent → sentiment → knowledge → agent, built-in models, no network.
let gw: TestGateway
const clients: ChatClient[] = []
const customer = async () => {
  const client = new ChatClient(gw.wsUrl())
  clients.push(client)
  await client.connect()
  return client
}

/** What the agent recorded on the customer's message of the turn that produced `reply`. */
const annotationsOf = async (reply: BotMessage) => {
  const entries = await gw.gateway.container.resolve(Tokens.Transcript).byTurn('demo', reply.turn_id!)
  return entries.find((e) => e.direction === 'in')!.annotations
}

beforeAll(async () => {
  gw = await startTestGateway()
})
afterAll(async () => {
  for (const c of clients) c.close()
  await gw.close()
})

describe('the demo shop’s customer-service agent, offline', () => {
  it('answers a price question in Chinese from the knowledge base and cites the source', async () => {
    const mei = await customer()
    await mei.say('我想了解你们的产品价格')
    const answer = await mei.reply()
    expect(answer.text).toMatch(/\d+\.\d{2} 欧元/) // the prices themselves, quoted
    expect(answer.text).toMatch(/来源：\S*pricing/)
    expect(await annotationsOf(answer)).toMatchObject({
      intent: 'product_inquiry',
      route: 'knowledge',
      provider: 'builtin',
      grounded: true,
      sources: [expect.objectContaining({ source: expect.stringMatching(/pricing/) })],
    })
  })

  it('helps with a login problem without calling a human', async () => {
    const li = await customer()
    await li.say('我的账号登录不了')
    const answer = await li.reply()
    expect(answer.text).toMatch(/密码|登录/)
    const annotations = await annotationsOf(answer)
    expect(annotations).toMatchObject({ intent: 'technical_support', grounded: true })
    expect(annotations.escalate).toBeUndefined()
  })

  it('hands an angry complaint to a human and records why', async () => {
    const wang = await customer()
    await wang.say('你们的服务太差了，我要投诉')
    const answer = await wang.reply()
    expect(answer.text).toMatch(/人工/)
    expect(await annotationsOf(answer)).toMatchObject({
      intent: 'complaint',
      sentiment: 'negative',
      escalate: true,
      escalateReason: expect.any(String),
      route: 'escalate',
    })
  })

  it('answers in English too, and greets without searching', async () => {
    const sam = await customer()
    await sam.say('hello')
    const hello = await sam.reply()
    expect(await annotationsOf(hello)).toMatchObject({ intent: 'greeting', route: 'smalltalk' })
    await sam.say('How much is the Pro plan per month?')
    const answer = await sam.reply()
    expect(answer.text).toMatch(/Pro/)
    expect(answer.text).toMatch(/Source: /)
  })

  it('answers 100 customers chatting at once, each their own answer, once', async () => {
    const questions = ['How much is the Pro plan?', '我想了解你们的产品价格', 'How long does shipping take?', '怎么开发票？', 'I forgot my password']
    const crowd = await Promise.all(Array.from({ length: 100 }, () => customer()))
    await Promise.all(crowd.map((c, i) => c.say(questions[i % questions.length]!)))
    const answers = await Promise.all(crowd.map((c) => c.reply()))
    for (const [i, answer] of answers.entries()) {
      expect(answer.seq).toBe(1)
      expect(answer.text.length).toBeGreaterThan(20)
      // Each answer belongs to its own customer's turn, in that customer's language.
      expect(/[\u4e00-\u9fff]/.test(answer.text)).toBe(/[\u4e00-\u9fff]/.test(questions[i % questions.length]!))
    }
    expect(crowd.flatMap((c) => c.duplicates)).toEqual([])
  })
})
