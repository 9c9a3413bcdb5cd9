import { describe, expect, it } from 'vitest'
import { renderReplies } from './render.js'

describe('rendering replies for a channel', () => {
  const voice = { parts: ['text', 'choice'] as const, maxTextLength: 20 }

  it('speaks a split reply once, at its start, and hands over after its last part', () => {
    const messages = renderReplies(
      [
        { parts: [{ type: 'text', text: 'One moment please. I am connecting you.' }], speak: 'Hold on, connecting you.', handoff: true, inputHint: 'ignoring' },
        { parts: [{ type: 'text', text: 'Bye.' }] },
      ],
      voice,
    )
    expect(messages.map((m) => m.parts.map((p) => (p.type === 'text' ? p.text : p.type)).join(''))).toEqual(['One moment please.', 'I am connecting you.', 'Bye.'])
    expect(messages.map((m) => m.hints)).toEqual([{ speak: 'Hold on, connecting you.' }, { handoff: true, inputHint: 'ignoring' }, undefined])
  })

  it('turns what a channel cannot render into text and leaves plain replies without hints', () => {
    const [message] = renderReplies([{ parts: [{ type: 'card', title: 'Order 42', actions: [] }] }], voice)
    expect(message).toEqual({ parts: [{ type: 'text', text: expect.stringContaining('Order 42') }] })
  })
})
