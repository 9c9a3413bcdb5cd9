import { describe, expect, it } from 'vitest'
import { partToText, plainText, renderForCapabilities, splitText } from './fallback.js'
import type { Part } from './parts.js'

describe('text fallbacks', () => {
  const card: Part = { type: 'card', title: 'Your order', body: 'Shipped today', actions: [{ type: 'postback', title: 'Track', value: 'track' }, { type: 'url', title: 'Invoice', value: 'https://x.example/i' }] }
  const choice: Part = { type: 'choice', text: 'Pick one', options: [{ title: 'Refund', value: 'r' }, { title: 'Exchange', value: 'e' }] }

  it('renders cards, choices and media as text a text-only channel can show', () => {
    expect(partToText(card)).toBe('Your order\nShipped today\n1. Track\n2. Invoice (https://x.example/i)')
    expect(partToText(choice)).toBe('Pick one\n1. Refund\n2. Exchange')
    expect(partToText({ type: 'image', url: 'https://x.example/a.png', name: 'a.png' })).toBe('a.png: https://x.example/a.png')
  })

  it('keeps what a channel supports and merges the text fallbacks into one message', () => {
    const parts: Part[] = [{ type: 'text', text: 'Here you go.' }, card, { type: 'image', url: 'https://x.example/a.png' }]
    expect(renderForCapabilities(parts, new Set(['text', 'image']))).toEqual([
      { type: 'text', text: `Here you go.\n\n${partToText(card)}` },
      { type: 'image', url: 'https://x.example/a.png' },
    ])
    expect(plainText([choice])).toBe('Pick one\n1. Refund\n2. Exchange')
  })
})

describe('splitText', () => {
  it('prefers paragraph, then sentence, then word boundaries and loses nothing', () => {
    const text = 'First paragraph here.\n\nSecond one is a bit longer. It has two sentences.'
    const chunks = splitText(text, 30)
    expect(chunks).toEqual(['First paragraph here.', 'Second one is a bit longer.', 'It has two sentences.'])
  })

  it('never cuts a surrogate pair, even in one long word', () => {
    const emoji = '😀'.repeat(10) // 20 UTF-16 units
    const chunks = splitText(emoji, 5)
    expect(chunks.join('')).toBe(emoji)
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(5)
    for (const chunk of chunks) expect(chunk).toBe(chunk.toWellFormed())
  })

  it('splits Chinese at full stops', () => {
    expect(splitText('第一句话。第二句话比较长一些。', 9)).toEqual(['第一句话。', '第二句话比较长一', '些。'])
  })
})
