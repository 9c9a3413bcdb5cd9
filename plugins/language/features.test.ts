import { describe, expect, it } from 'vitest'
import { latinWords, stem, textFeatures } from './features.js'
import { FuzzyVocabulary } from './fuzzy.js'
import { Gazetteer } from './gazetteer.js'

describe('textFeatures', () => {
  it('mixes Chinese characters and bigrams with English words, bigrams and character n-grams', () => {
    const names = [...textFeatures('我的order还没到').keys()]
    expect(names).toEqual(expect.arrayContaining(['h:我', 'hh:我的', 'hh:没到', 'w:order', 'c:<or', 'c:er>']))
    expect(names).not.toContain('b:的_order')
  })

  it('gives typos most of the features of the word they misspell', () => {
    const grams = (text: string) => new Set([...textFeatures(text).keys()].filter((k) => k.startsWith('c:')))
    const right = grams('password')
    const typo = grams('pasword')
    expect([...typo].filter((g) => right.has(g)).length / typo.size).toBeGreaterThan(0.5)
  })

  it('reads order numbers by shape and keeps emoji', () => {
    expect([...textFeatures('order 48213123 😡').keys()]).toEqual(expect.arrayContaining(['w:<id>', 'e:😡']))
    expect(latinWords('size 10 please')).toEqual(['siz', '<num>', 'pleas'])
  })

  it('is unit length, so long messages are not more sure of themselves', () => {
    const norm = (text: string) => Math.hypot(...textFeatures(text).values())
    expect(norm('hi')).toBeCloseTo(1)
    expect(norm('I would like to know where my order is, it has been a week')).toBeCloseTo(1)
    expect(textFeatures('').size).toBe(0)
  })

  it('stems lightly and consistently', () => {
    expect(['refund', 'refunds', 'refunded', 'refunding'].map(stem)).toEqual(['refund', 'refund', 'refund', 'refund'])
    expect(['charge', 'charged', 'charges'].map(stem)).toEqual(['charg', 'charg', 'charg'])
    expect(['shipping', 'shipped'].map(stem)).toEqual(['ship', 'ship'])
  })
})

describe('FuzzyVocabulary', () => {
  const vocab = new FuzzyVocabulary([['refund', 'money'], ['invoice', 'bill'], ['human', 'person'], ['card', 'pay']])

  it('finds words one edit away, but not short ones', () => {
    expect(vocab.lookup('refnd')).toEqual(['money'])
    expect(vocab.lookup('refunf')).toEqual(['money'])
    expect(vocab.lookup('invioce')).toEqual(['bill'])
    expect(vocab.lookup('humn')).toEqual(['person'])
    expect(vocab.lookup('card')).toEqual(['pay'])
    expect(vocab.lookup('cart')).toEqual([])
    expect(vocab.lookup('refute')).toEqual([])
  })
})

describe('Gazetteer', () => {
  const gazetteer = new Gazetteer([
    { id: 'refund', en: ['refund', 'money back'], zh: ['退款', /退(?!出)/] },
    { id: 'account', en: ['log in', 'password'], zh: ['登录', '退出登录'] },
  ])

  it('spots words, phrases, substrings and patterns in either language', () => {
    expect(gazetteer.find('I want my money back')).toEqual(new Set(['refund']))
    expect(gazetteer.find('cant log in, pasword wrong')).toEqual(new Set(['account']))
    expect(gazetteer.find('我要退款')).toEqual(new Set(['refund']))
    expect(gazetteer.find('怎么退出登录')).toEqual(new Set(['account']))
    expect(gazetteer.find('能退吗')).toEqual(new Set(['refund']))
  })
})
