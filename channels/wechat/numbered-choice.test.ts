import { describe, expect, it } from 'vitest'
import type { Part } from '../../core/index.js'
import { chosenNumber, chosenValue } from './numbered-choice.js'

const menu: Part = { type: 'choice', text: '请选择', options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: 'return:order=A-1009' }] }
const said = (direction: 'in' | 'out', turnId: string, parts: Part[]) => ({ direction, turnId, parts })

describe('a numbered answer to a choice', () => {
  it.each([
    ['1', 1],
    [' 2 ', 2],
    ['2.', 2],
    ['２', 2],
    ['12', 12],
    ['0', undefined],
    ['1 please', undefined],
    ['one', undefined],
    ['123', undefined],
  ])('reads %j as option %s', (text, n) => {
    expect(chosenNumber(text)).toBe(n)
  })

  it('names the option of the choice the bot offered in its latest turn', () => {
    const history = [said('in', 't1', [{ type: 'text', text: 'menu' }]), said('out', 't1', [{ type: 'text', text: 'Hello' }, menu]), said('out', 't1', [{ type: 'text', text: 'or type your question' }])]
    expect(chosenValue(history, 2)).toBe('return:order=A-1009')
    expect(chosenValue(history, 3)).toBeUndefined()
  })

  it('ignores a choice from an earlier turn: the user is answering what the bot said last', () => {
    const history = [said('out', 't1', [menu]), said('in', 't2', [{ type: 'text', text: 'hm' }]), said('out', 't2', [{ type: 'text', text: 'Anything else?' }])]
    expect(chosenValue(history, 1)).toBeUndefined()
    expect(chosenValue([], 1)).toBeUndefined()
  })
})
