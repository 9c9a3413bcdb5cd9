import { container } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import type { ConversationMemory, Turn } from '../../core/index.js'
import { Metrics } from '../../core/observability/metrics.js'
import { agentContext, turnFor } from '../../test/kit/activities.js'
import intentPlugin from '../intent/index.js'
import { IntentConfig } from '../intent/manifest.js'
import sentimentPlugin from './index.js'
import { SentimentConfig } from './manifest.js'
import { escalationStep, freshMemory, readMemory } from './escalation.js'

/**
 * A conversation through the intent and sentiment plugins, in tenant order (or sentiment alone, to
 * see its rules without the complaint rule). Memory goes through JSON between turns, as the store
 * saves it.
 */
async function conversation(sentimentConfig: unknown = {}, { withIntent = true } = {}) {
  const metrics = new Metrics({ defaultMetrics: false })
  const scope = container.createChildContainer()
  const intent = await intentPlugin.setup(agentContext(IntentConfig.parse({}), { id: 'intent', metrics, container: scope }))
  const sentiment = await sentimentPlugin.setup(agentContext(SentimentConfig.parse(sentimentConfig), { id: 'mood', metrics, container: scope }))
  let memory: ConversationMemory = {}
  const say = async (text: string, before?: (turn: Turn) => void): Promise<Turn> => {
    const turn = turnFor(text, { memory: JSON.parse(JSON.stringify(memory)) as ConversationMemory })
    before?.(turn)
    const rest = () => sentiment.inbound!(turn, async () => {})
    await (withIntent ? intent.inbound!(turn, rest) : rest())
    memory = turn.memory
    return turn
  }
  const escalations = async () => (await metrics.escalations.get()).values.map((v) => ({ ...v.labels, count: v.value }))
  return { say, metrics, escalations }
}

const escalated = (turn: Turn) => turn.state.escalate?.reason

describe('sentiment escalation', () => {
  it('escalates a negative complaint at once, with its reason', async () => {
    const { say, escalations } = await conversation()
    const turn = await say('你们的服务太差了，我要投诉')
    expect(turn.state.intent?.name).toBe('complaint')
    expect(turn.state.sentiment?.label).toBe('negative')
    expect(turn.state.escalate).toEqual({ reason: 'complaint_negative', by: 'mood' })
    expect(turn.annotations).toMatchObject({ sentiment: 'negative', escalate: true, escalateReason: 'complaint_negative' })
    expect(turn.annotations.sentimentScore).toBe(Math.round(turn.state.sentiment!.score * 100) / 100)
    expect(await escalations()).toEqual([{ tenant: 'acme', reason: 'complaint_negative', count: 1 }])
  })

  it('does not escalate an ordinary problem', async () => {
    const { say } = await conversation()
    const turn = await say('我的账号登录不了')
    expect(turn.state.intent?.name).toBe('technical_support')
    expect(turn.state.sentiment?.label).toBe('neutral')
    expect(turn.state.escalate).toBeUndefined()
    expect(turn.annotations.escalate).toBeUndefined()
  })

  it('does not escalate a customer reporting that a problem keeps happening', async () => {
    const { say, escalations } = await conversation()
    for (const text of ['my camera keeps going offline', 'it went offline again last night', '摄像头又离线了', '还是连不上']) {
      const turn = await say(text)
      expect(turn.state.sentiment?.label, text).toBe('negative')
      expect(turn.state.sentiment!.score, text).toBeGreaterThan(-0.4)
      expect(escalated(turn), text).toBeUndefined()
    }
    expect(await escalations()).toEqual([])
  })

  it('needs two strongly negative turns, not one', async () => {
    const { say, escalations } = await conversation({}, { withIntent: false })
    const first = await say('the tracking page is so frustrating, really annoying')
    expect(first.state.sentiment!.score).toBeLessThanOrEqual(-0.6)
    expect(escalated(first)).toBeUndefined()
    expect(escalated(await say('ok, what is the order number format?'))).toBeUndefined()
    expect(escalated(await say('still nothing, this is really annoying and frustrating'))).toBe('repeated_negative')
    expect(await escalations()).toEqual([{ tenant: 'acme', reason: 'repeated_negative', count: 1 }])
  })

  it('escalates one extremely negative turn on its own', async () => {
    const { say } = await conversation({}, { withIntent: false })
    expect(escalated(await say('This is absolutely disgusting, worst company ever, you are all useless liars 😡'))).toBe('strong_negative')
  })

  it('stays escalated through one calm turn and ends after three', async () => {
    const { say, escalations } = await conversation()
    expect(escalated(await say('我要投诉，你们太坑人了，气死我了'))).toBe('complaint_negative')
    expect(escalated(await say('好的'))).toBe('complaint_negative')
    expect(escalated(await say('我的订单号是 12345'))).toBe('complaint_negative')
    // A negative turn resets the count of calm ones.
    expect(escalated(await say('还是很生气'))).toBe('complaint_negative')
    expect(escalated(await say('嗯'))).toBe('complaint_negative')
    expect(escalated(await say('订单号 12345'))).toBe('complaint_negative')
    const calm = await say('好的，谢谢')
    expect(escalated(calm)).toBeUndefined()
    expect(calm.annotations.escalate).toBeUndefined()
    expect(calm.memory.sentiment).toEqual({ recent: [], escalated: null, calm: 0 })
    // Counted once, when it started, however many turns it lasted.
    expect(await escalations()).toEqual([{ tenant: 'acme', reason: 'complaint_negative', count: 1 }])
  })

  it('never flips back and forth turn by turn', async () => {
    const { say } = await conversation({}, { withIntent: false })
    const flags: boolean[] = []
    // Strongly negative (≤ -0.6, not extreme) turns mixed with calm ones.
    const script = ['terrible service', 'ok', 'this is so frustrating', 'fine', 'ok', 'I really hate this', 'ok', 'ok', 'ok', 'thanks']
    for (const text of script) flags.push(Boolean((await say(text)).state.escalate))
    const changes = flags.filter((f, i) => i > 0 && f !== flags[i - 1]).length
    expect(flags).toEqual([false, false, true, true, true, true, true, true, false, false])
    expect(changes).toBe(2)
  })

  it('keeps a reason another plugin gave', async () => {
    const { say, escalations } = await conversation({}, { withIntent: false })
    const turn = await say('你们太垃圾了，气死我了😡', (t) => {
      t.state.escalate = { reason: 'vip_customer', by: 'crm' }
    })
    expect(turn.state.escalate).toEqual({ reason: 'vip_customer', by: 'crm' })
    expect(turn.annotations.escalateReason).toBeUndefined()
    expect(turn.memory.sentiment).toMatchObject({ escalated: 'strong_negative' })
    expect(await escalations()).toEqual([{ tenant: 'acme', reason: 'strong_negative', count: 1 }])
  })

  it('follows the tenant’s thresholds', async () => {
    const { say } = await conversation({ escalation: { strongTurns: 1, strongAt: -0.3, calmTurns: 1 } }, { withIntent: false })
    expect(escalated(await say('this is annoying'))).toBe('repeated_negative')
    expect(escalated(await say('ok'))).toBeUndefined()
  })

  it('can be told not to escalate', async () => {
    const { say } = await conversation({ escalation: { enabled: false } })
    const turn = await say('你们的服务太差了，我要投诉')
    expect(turn.state.sentiment?.label).toBe('negative')
    expect(turn.state.escalate).toBeUndefined()
    expect(turn.memory.sentiment).toBeUndefined()
  })

  it('counts every turn by label and skips empty ones', async () => {
    const { say, metrics } = await conversation()
    await say('thanks, great help!')
    await say('where is my parcel')
    const empty = await say('')
    expect(empty.state.sentiment).toBeUndefined()
    const counted = (await metrics.sentiments.get()).values.map((v) => [v.labels.label, v.value])
    expect(counted).toEqual([['positive', 1], ['neutral', 1]])
  })

  it('rejects bad config with the path of the problem', () => {
    const bad = SentimentConfig.safeParse({ thresholds: { negative: 0.5, positive: 0.2 }, escalation: { extremeAt: -0.5, strongAt: -0.7, window: 0 }, words: { meh: 9 } })
    expect(bad.success).toBe(false)
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['escalation.window', 'words.meh']))
    const order = SentimentConfig.safeParse({ escalation: { extremeAt: -0.5, strongAt: -0.7 } })
    expect(order.error!.issues.map((i) => i.path.join('.'))).toEqual(['escalation.extremeAt'])
    const thresholds = SentimentConfig.safeParse({ thresholds: { negative: 0.5, positive: 0.2 } })
    expect(thresholds.error!.issues.map((i) => i.path.join('.'))).toEqual(['thresholds.negative'])
  })
})

describe('escalation memory', () => {
  const config = SentimentConfig.parse({}).escalation

  it('survives a corrupt or outdated record', () => {
    expect(readMemory(undefined)).toEqual(freshMemory())
    expect(readMemory('nonsense')).toEqual(freshMemory())
    expect(readMemory({ recent: [-0.7, 'x', null], escalated: 'because', calm: -2 })).toEqual({ recent: [-0.7], escalated: null, calm: 0 })
  })

  it('keeps only the window of recent scores', () => {
    let memory = freshMemory()
    for (const score of [-0.1, 0.2, 0.3, 0.4]) memory = escalationStep(memory, { score, label: 'neutral' }, config).memory
    expect(memory.recent).toEqual([0.2, 0.3, 0.4])
  })
})
