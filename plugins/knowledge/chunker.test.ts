import { describe, expect, it } from 'vitest'
import { chunkFaq, chunkMarkdown, chunkText, overlapTail, packBlocks } from './chunker.js'
import { parseFaqFile } from './faq-file.js'

const options = { maxChars: 200, overlapChars: 40 }

describe('chunkMarkdown', () => {
  it('cuts at headings and keeps the heading path as the title', () => {
    const chunks = chunkMarkdown(
      ['Intro before any heading.', '', '# Plans', 'All plans renew monthly.', '## Pro', '€9.99 a month.', '### Limits', 'Up to 5 cameras.', '## Basic', '€4.99 a month.'].join('\n'),
      options,
    )
    expect(chunks).toEqual([
      { text: 'Intro before any heading.' },
      { title: 'Plans', text: 'All plans renew monthly.' },
      { title: 'Plans › Pro', text: '€9.99 a month.' },
      { title: 'Plans › Pro › Limits', text: 'Up to 5 cameras.' },
      { title: 'Plans › Basic', text: '€4.99 a month.' },
    ])
  })

  it('skips front matter, drops heading-only sections and strips inline markup from titles', () => {
    const chunks = chunkMarkdown(['---', 'title: ignored', '---', '# **Shipping** [costs](x.md)', '## Express', 'Next day for €9.90.'].join('\n'), options)
    expect(chunks).toEqual([{ title: 'Shipping costs › Express', text: 'Next day for €9.90.' }])
  })

  it('does not read a # inside a code fence as a heading', () => {
    const chunks = chunkMarkdown(['# Setup', '```sh', '# not a heading', 'npm start', '```'].join('\n'), options)
    expect(chunks).toEqual([{ title: 'Setup', text: '```sh\n# not a heading\nnpm start\n```' }])
  })

  it('packs paragraphs up to maxChars and repeats the tail of the previous chunk', () => {
    const paragraphs = Array.from({ length: 6 }, (_, i) => `Paragraph ${i} has a first sentence. And it ends with fact number ${i}.`)
    const chunks = chunkMarkdown(`# Facts\n\n${paragraphs.join('\n\n')}`, options)
    expect(chunks.length).toBeGreaterThan(1)
    for (const chunk of chunks) {
      expect(chunk.title).toBe('Facts')
      expect(chunk.text.length).toBeLessThanOrEqual(options.maxChars)
    }
    // Every paragraph survives whole in some chunk, and each chunk after the first starts with the previous one's last sentence.
    for (const p of paragraphs) expect(chunks.some((c) => c.text.includes(p))).toBe(true)
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.text.startsWith(overlapTail(chunks[i - 1]!.text, options.overlapChars))).toBe(true)
      expect(overlapTail(chunks[i - 1]!.text, options.overlapChars)).toMatch(/^And it ends with fact number \d\.$/)
    }
  })

  it('makes every Q:/A: pair one chunk, whatever its length', () => {
    const chunks = chunkMarkdown(['# FAQ', 'Common questions.', '', 'Q: Can I pay by invoice?', 'A: Yes, business customers can.', '', 'Q: 可以开发票吗？', 'A: 可以。', '下单后在“我的订单”中下载。'].join('\n'), options)
    expect(chunks).toEqual([
      { title: 'FAQ', text: 'Common questions.' },
      { title: 'FAQ', text: 'Q: Can I pay by invoice?\nA: Yes, business customers can.' },
      { title: 'FAQ', text: 'Q: 可以开发票吗？\nA: 可以。\n下单后在“我的订单”中下载。' },
    ])
  })

  it('splits Chinese without spaces at sentence ends, and hard-splits a sentence with no punctuation', () => {
    const sentence = '我们的仓库位于德国莱比锡，工作日下午两点前下单当天发货。'
    const chunks = chunkMarkdown(`# 配送\n\n${sentence.repeat(12)}`, { maxChars: 100, overlapChars: 30 })
    expect(chunks.length).toBeGreaterThan(3)
    for (const chunk of chunks) {
      expect(chunk.text.length).toBeLessThanOrEqual(100)
      expect(chunk.text.endsWith('。')).toBe(true)
    }
    expect(chunks[1]!.text.startsWith(sentence)).toBe(true)

    const run = '无标点的长句'.repeat(60)
    const hard = chunkText(run, { maxChars: 100, overlapChars: 0 })
    expect(hard.map((c) => c.text).join('')).toBe(run)
    expect(hard.every((c) => c.text.length <= 100)).toBe(true)
  })
})

describe('chunkText', () => {
  it('uses blank-line paragraphs and has no title', () => {
    expect(chunkText('First paragraph.\n\n\nSecond paragraph.', { maxChars: 20, overlapChars: 0 })).toEqual([{ text: 'First paragraph.' }, { text: 'Second paragraph.' }])
  })
})

describe('packBlocks', () => {
  it('never exceeds maxChars, even when the overlap and the next paragraph would', () => {
    const out = packBlocks(['a'.repeat(90), 'b'.repeat(95), 'c'.repeat(10)], { maxChars: 100, overlapChars: 40 })
    expect(out.every((c) => c.length <= 100)).toBe(true)
    expect(out.join('')).toContain('b'.repeat(95))
  })
})

describe('FAQ files', () => {
  it('reads pairs, one per language, with the file title and category as the chunk title', () => {
    const yaml = [
      'title: General',
      'faq:',
      '  - category: Payment',
      '    question: { en: Which payment methods?, zh: 支持哪些付款方式？ }',
      '    answer: { en: Cards and PayPal., zh: 银行卡和 PayPal。 }',
      '  - q: Opening hours?',
      '    a: 9–18.',
      '  - question: no answer',
    ].join('\n')
    const { pairs, problems } = parseFaqFile(yaml, 'yaml')
    expect(problems).toEqual(['entry 3 needs a question and an answer'])
    expect(chunkFaq(pairs)).toEqual([
      { title: 'General › Payment', text: 'Q: Which payment methods?\nA: Cards and PayPal.' },
      { title: 'General › Payment', text: 'Q: 支持哪些付款方式？\nA: 银行卡和 PayPal。' },
      { title: 'General', text: 'Q: Opening hours?\nA: 9–18.' },
    ])
  })

  it('accepts a bare JSON list', () => {
    const { pairs } = parseFaqFile(JSON.stringify([{ question: 'Refunds?', answer: 'Within 30 days.' }]), 'json')
    expect(chunkFaq(pairs)).toEqual([{ text: 'Q: Refunds?\nA: Within 30 days.' }])
  })
})
