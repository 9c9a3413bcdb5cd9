import { describe, expect, it } from 'vitest'
import type { Reply } from '../../core/index.js'
import { agentContext, turnFor } from '../../test/kit/activities.js'
import rules from './index.js'
import { RulesConfig } from './manifest.js'
import { tokenize } from '../language/text.js'

const config = RulesConfig.parse({
  rules: [
    { id: 'human', keywords: ['human', '人工'], reply: { en: 'Connecting you to a person.', zh: '正在为您转接人工。' } },
    { id: 'order', pattern: 'order #?([A-Z]-\\d+)', reply: 'Looking up order $1 now ($2 stays as written).' },
    { id: 'greeting', pattern: '^(hi|hello)\\b', reply: { text: 'Hello!', options: [{ title: { en: 'Hours', zh: '营业时间' }, value: 'What are your opening hours?' }] } },
  ],
  faq: [
    { id: 'hours', question: { en: 'What are your opening hours?', zh: '你们的营业时间是什么？' }, keywords: ['opening hours', '营业时间'], answer: { en: 'Mon–Fri 9–18.', zh: '周一至周五 9–18 点。' } },
    { id: 'refund', question: 'How do I get a refund?', also: ['return an item'], keywords: ['refund', '退款'], answer: 'Within 30 days.' },
    { id: 'shipping', question: 'How long does shipping take?', answer: '2–4 business days.' },
  ],
})

/** A tenant's rules agent, spoken to as a customer would. */
async function agent() {
  const hooks = await rules.setup(agentContext(config, { id: 'faq' }))
  return async (text: string, locale?: string) => {
    const turn = turnFor(text, { locale })
    const reply = (await hooks.respond!(turn)) as Reply
    const first = reply.parts[0]!
    return { text: first.type === 'text' || first.type === 'choice' ? first.text : '', reply, annotations: turn.annotations }
  }
}

describe('the rules agent', () => {
  it('answers FAQ questions however they are phrased', async () => {
    const ask = await agent()
    expect((await ask('what are your opening hours')).text).toBe('Mon–Fri 9–18.')
    expect((await ask('I would like a refund please')).text).toBe('Within 30 days.')
    expect((await ask('how long will shipping take?')).text).toBe('2–4 business days.')
    expect((await ask('How do I get a refund?')).annotations.rules).toEqual({ matched: 'faq:refund', score: 1 })
  })

  it('answers in Chinese when asked in Chinese', async () => {
    const ask = await agent()
    expect((await ask('请问营业时间？')).text).toBe('周一至周五 9–18 点。')
    expect((await ask('我要退款')).text).toBe('Within 30 days.')
    expect((await ask('转人工')).text).toBe('正在为您转接人工。')
  })

  it('lets keyword rules win over the FAQ and localises options by the user locale', async () => {
    const ask = await agent()
    expect((await ask('I want a human about my refund')).text).toBe('Connecting you to a person.')
    const { reply } = await ask('hello', 'zh-CN')
    expect(reply.parts[0]).toEqual({ type: 'choice', text: 'Hello!', options: [{ title: '营业时间', value: 'What are your opening hours?' }] })
  })

  it('quotes what a rule pattern captured', async () => {
    const ask = await agent()
    expect((await ask('where is my order #A-1009?')).text).toBe('Looking up order A-1009 now ($2 stays as written).')
  })

  it('offers the closest questions when it does not understand', async () => {
    const ask = await agent()
    const { reply, annotations } = await ask('my parcel never arrived')
    expect(reply.parts[0]).toMatchObject({ type: 'choice', text: expect.stringMatching(/not sure I understood/) })
    expect((reply.parts[0] as { options: unknown[] }).options).toHaveLength(3)
    expect(annotations.rules).toMatchObject({ matched: null })
  })
})

describe('tokenize', () => {
  it('splits English words, drops stopwords and strips plurals; CJK by characters and bigrams', () => {
    expect([...tokenize('What are the shipping costs?')]).toEqual(['shipp', 'cost'])
    expect([...tokenize('营业时间')]).toEqual(['营', '营业', '业', '业时', '时', '时间', '间'])
  })
})
