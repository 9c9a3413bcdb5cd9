import { container } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { Metrics } from '../../core/observability/metrics.js'
import { agentContext, turnFor } from '../../test/kit/activities.js'
import intent from './index.js'
import { IntentConfig } from './manifest.js'
import { IntentClassifierToken } from './types.js'

/** A tenant's intent plugin, spoken to as a customer would. */
async function agent(raw: unknown = {}) {
  const metrics = new Metrics({ defaultMetrics: false })
  const scope = container.createChildContainer()
  const hooks = await intent.setup(agentContext(IntentConfig.parse(raw), { id: 'intent', metrics, container: scope }))
  const say = async (text: string) => {
    const turn = turnFor(text)
    let reached = false
    await hooks.inbound!(turn, async () => {
      reached = true
    })
    expect(reached).toBe(true)
    return turn
  }
  return { say, metrics, container: scope }
}

describe('the intent plugin', () => {
  it('understands Chinese customers', async () => {
    const { say } = await agent()
    expect((await say('我的账号登录不了')).state.intent?.name).toBe('technical_support')
    expect((await say('我想了解你们的产品价格')).state.intent?.name).toBe('product_inquiry')
    expect((await say('你们的服务太差了，我要投诉')).state.intent?.name).toBe('complaint')
    expect((await say('快递三天了还没到，帮我看看')).state.intent?.name).toBe('order_status')
    expect((await say('钱什么时候能退回来')).state.intent?.name).toBe('refund_request')
  })

  it('understands English customers, typos and mixed messages', async () => {
    const { say } = await agent()
    expect((await say('where is my parcel, it was due on monday')).state.intent?.name).toBe('order_status')
    expect((await say('I was charged twice for one subscription')).state.intent?.name).toBe('billing')
    expect((await say('cant acess my acount, pasword rejected')).state.intent?.name).toBe('technical_support')
    expect((await say('我要refund')).state.intent?.name).toBe('refund_request')
    expect((await say('hello 👋')).state.intent?.name).toBe('greeting')
    expect((await say('thanks, that is all, bye')).state.intent?.name).toBe('goodbye')
  })

  it('answers "other" for messages that are not customer service', async () => {
    const { say } = await agent()
    expect((await say('what is the capital of peru')).state.intent?.name).toBe('other')
    expect((await say('讲个冷笑话吧')).state.intent?.name).toBe('other')
  })

  it('annotates the turn and counts the intent', async () => {
    const { say, metrics } = await agent()
    const turn = await say('how much does the pro plan cost?')
    expect(turn.annotations).toMatchObject({ intent: 'product_inquiry', intentSource: 'builtin' })
    expect(turn.annotations.confidence).toBe(Math.round(turn.state.intent!.confidence * 100) / 100)
    expect(turn.state.intent!.alternatives).toHaveLength(3)
    const counted = await metrics.intents.get()
    expect(counted.values).toContainEqual(expect.objectContaining({ labels: { tenant: 'acme', intent: 'product_inquiry', source: 'builtin' }, value: 1 }))
  })

  it('hands the conversation to a human when asked, without overriding an earlier reason', async () => {
    const { say } = await agent()
    const asked = await say('转人工')
    expect(asked.state.escalate).toEqual({ reason: 'asked_for_human', by: 'intent' })
    expect(asked.annotations).toMatchObject({ escalate: true, escalateReason: 'asked_for_human' })
    expect((await say('I want to speak to a real person')).state.escalate?.reason).toBe('asked_for_human')
    expect((await say('我的账号登录不了')).state.escalate).toBeUndefined()
  })

  it('leaves empty messages (a photo, a sticker) alone', async () => {
    const { say } = await agent()
    const turn = await say('   ')
    expect(turn.state.intent).toBeUndefined()
    expect(turn.annotations).toEqual({})
  })

  it('learns tenant intents and tenant wording for built-in ones', async () => {
    const { say } = await agent({
      intents: [
        { name: 'store_hours', examples: ['what time do you open', 'are you open on sundays', 'opening hours of the shop', '你们几点开门', '周末营业吗'] },
        { name: 'billing', examples: ['where is my moneybook statement', 'moneybook points were deducted', 'moneybook balance is wrong'] },
      ],
    })
    expect((await say('when do you open on saturday?')).state.intent?.name).toBe('store_hours')
    expect((await say('你们店几点关门')).state.intent?.name).toBe('store_hours')
    expect((await say('my moneybook points look odd')).state.intent?.name).toBe('billing')
    expect((await say('where is my order')).state.intent?.name).toBe('order_status')
  })

  it('provides its classifier to later plugins', async () => {
    const { container } = await agent({ intents: [{ name: 'store_hours', examples: ['what time do you open', 'opening hours', '几点开门'] }] })
    const classifier = container.resolve(IntentClassifierToken)
    expect(classifier.intents).toContain('store_hours')
    expect(classifier.intents).toContain('human_agent')
    expect(classifier.classify('I want my money back').name).toBe('refund_request')
  })

  it('keeps tenants apart: one tenant’s intents never leak into another’s model', async () => {
    const a = await agent({ intents: [{ name: 'store_hours', examples: ['what time do you open', 'opening hours', '几点开门'] }] })
    const b = await agent()
    expect((await a.say('what time do you open')).state.intent?.name).toBe('store_hours')
    expect((await b.say('what time do you open')).state.intent?.name).not.toBe('store_hours')
  })

  it('rejects bad config with the path of the problem', () => {
    const bad = IntentConfig.safeParse({ intents: [{ name: 'Store Hours', examples: ['a', 'b'] }], llm: { below: 2 }, extra: true })
    expect(bad.success).toBe(false)
    const paths = bad.error!.issues.map((i) => i.path.join('.'))
    expect(paths).toEqual(expect.arrayContaining(['intents.0.name', 'intents.0.examples', 'llm.below']))
    expect(bad.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true)
    const twice = IntentConfig.safeParse({ intents: [{ name: 'vip', examples: ['a', 'b', 'c'] }, { name: 'vip', examples: ['d', 'e', 'f'] }] })
    expect(twice.error!.issues[0]!.path).toEqual(['intents', 1, 'name'])
  })

  it('works with no config at all', () => {
    expect(IntentConfig.parse({})).toEqual({ intents: [], minConfidence: 0.4, llm: { enabled: true, below: 0.55 } })
  })
})
