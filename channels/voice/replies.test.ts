import { describe, expect, it } from 'vitest'
import type { Part } from '../../core/index.js'
import { menuOf, spokenAnswer, type StoredReply } from './replies.js'

const template = 'For {title}, press {key}.'
const reply = (seq: number, parts: Part[], annotations: Record<string, unknown> = {}): StoredReply => ({ seq, parts, annotations })
const text = (value: string): Part => ({ type: 'text', text: value })
const choice: Part = { type: 'choice', text: 'What would you like to do?', options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: 'return' }] }

describe('what a turn’s replies come to on the phone', () => {
  it('says each reply in order and remembers the last seq the caller heard', () => {
    expect(spokenAnswer([reply(4, [text('Your order A-1009 shipped today.')]), reply(5, [text('Anything else?')])], template)).toEqual({
      lines: ['Your order A-1009 shipped today.', 'Anything else?'],
      handoff: false,
      lastSeq: 5,
    })
  })

  it('reads a choice as a keypad menu after its question, and keeps it for the next Gather', () => {
    const answer = spokenAnswer([reply(7, [text('Sure.'), choice])], template)
    expect(answer.lines).toEqual(['Sure.', 'What would you like to do?', 'For Track my order, press 1. For Return an item, press 2.'])
    expect(answer.menu).toEqual({ seq: 7, options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: 'return' }] })
  })

  it('reads options past the ninth without a key: they can be said', () => {
    const many: Part = { type: 'choice', text: 'Pick a store', options: Array.from({ length: 10 }, (_, i) => ({ title: `Store ${i + 1}`, value: `s${i + 1}` })) }
    const [, menu] = spokenAnswer([reply(1, [many])], '{key}: {title}.').lines
    expect(menu).toBe(`${Array.from({ length: 9 }, (_, i) => `${i + 1}: Store ${i + 1}.`).join(' ')} Store 10.`)
  })

  it('says `speak` instead of the text, still reading the menu keys', () => {
    const answer = spokenAnswer([reply(2, [text('Refund policy: https://acme.example/r'), choice], { speak: 'You can return items within thirty days.' })], template)
    expect(answer.lines).toEqual(['You can return items within thirty days.', 'For Track my order, press 1. For Return an item, press 2.'])
  })

  it('notices a reply that asks for a human', () => {
    expect(spokenAnswer([reply(1, [text('Let me get a colleague.')], { handoff: true }), reply(2, [text('Please hold.')])], template)).toMatchObject({ handoff: true, lastSeq: 2 })
    expect(spokenAnswer([reply(1, [text('No.')], { handoff: 'yes' })], template).handoff).toBe(false)
  })

  it('skips empty text rather than saying nothing out loud', () => {
    expect(spokenAnswer([reply(1, [text('  '), text('Hello')])], template).lines).toEqual(['Hello'])
    expect(spokenAnswer([], template)).toEqual({ lines: [], handoff: false, lastSeq: 0 })
  })

  it('finds the menu a reply offered, the last one when it has several', () => {
    const second: Part = { ...choice, options: [{ title: 'Yes', value: 'y' }] }
    expect(menuOf([text('hi'), choice, second])).toEqual([{ title: 'Yes', value: 'y' }])
    expect(menuOf([text('hi')])).toBeUndefined()
  })
})
