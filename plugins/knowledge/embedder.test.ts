import { describe, expect, it } from 'vitest'
import { HashingEmbedder } from './embedder.js'
import { cosine } from './rerank.js'
import { indexTerms, terms } from './terms.js'

describe('HashingEmbedder', () => {
  const embedder = new HashingEmbedder()

  it('is deterministic, unit-length and the configured size', async () => {
    const [a, b] = await embedder.embed(['Refunds within 30 days', 'Refunds within 30 days'])
    expect(a).toHaveLength(384)
    expect([...a!]).toEqual([...b!])
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5)
    expect([...embedder.embedOne('')].every((x) => x === 0)).toBe(true)
  })

  it('puts texts that share words or characters closer, in English and in Chinese', () => {
    const sim = (x: string, y: string) => cosine(embedder.embedOne(x), embedder.embedOne(y))
    expect(sim('how much does the pro plan cost', 'Pro plan: €9.99 per month')).toBeGreaterThan(sim('how much does the pro plan cost', 'Reset your password'))
    expect(sim('refunding an order', 'refunds for orders')).toBeGreaterThan(0.3)
    expect(sim('我想了解产品价格', '产品价格表')).toBeGreaterThan(sim('我想了解产品价格', '账号登录不了'))
    expect(sim('ＰＲＯ　Ｐｌａｎ', 'pro plan')).toBeCloseTo(1, 5)
  })
})

describe('terms', () => {
  it('lowercases and stems latin words, drops stopwords, and splits CJK runs into bigrams', () => {
    expect(terms('Shipping the Plans to Customers')).toEqual(['ship', 'plan', 'customer'])
    expect(terms('价格表 for 2FA')).toEqual(['价格', '格表', '2fa'])
    expect(terms('税')).toEqual(['税'])
  })

  it('drops topic-free Chinese bigrams from queries only', () => {
    expect(terms('我想了解价格', { query: true })).toEqual(['解价', '价格'])
    expect(terms('我想了解价格')).toContain('我想')
  })

  it('indexes the title with the text', () => {
    expect(indexTerms('Plans › Pro', 'Costs €9.99.')).toBe('plan pro cost 9 99')
  })
})
