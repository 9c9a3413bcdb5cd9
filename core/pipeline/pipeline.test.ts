import { describe, expect, it } from 'vitest'
import { turnFor } from '../../test/kit/activities.js'
import { compose } from './compose.js'
import { Pipeline } from './pipeline.js'

const textOf = (replies: { parts: { type: string; text?: string }[] }[]) => replies.map((r) => r.parts.map((p) => p.text).join(''))

describe('compose', () => {
  it('runs middlewares as an onion in order', async () => {
    const calls: string[] = []
    const run = compose<string[]>([
      async (c, next) => {
        c.push('a>')
        await next()
        c.push('<a')
      },
      async (c, next) => {
        c.push('b>')
        await next()
        c.push('<b')
      },
    ])
    await run(calls, async () => void calls.push('core'))
    expect(calls).toEqual(['a>', 'b>', 'core', '<b', '<a'])
  })

  it('rejects a middleware calling next twice', async () => {
    const run = compose<object>([
      async (_c, next) => {
        await next()
        await next()
      },
    ])
    await expect(run({})).rejects.toThrow(/more than once/)
  })
})

describe('Pipeline', () => {
  it('lets the first responder that answers win, in config order', async () => {
    const pipeline = new Pipeline([
      { id: 'silent', respond: async () => undefined },
      { id: 'faq', respond: async (t) => ({ parts: [{ type: 'text', text: `faq: ${t.activity.text}` }] }) },
      { id: 'fallback', respond: async () => ({ parts: [{ type: 'text', text: 'fallback' }] }) },
    ])
    const turn = turnFor('hours?')
    expect(textOf(await pipeline.run(turn))).toEqual(['faq: hours?'])
    expect(turn.annotations.respondedBy).toBe('faq')
  })

  it('short-circuits when an inbound middleware does not call next', async () => {
    let responded = false
    const pipeline = new Pipeline([
      { id: 'handoff', inbound: async () => {} },
      { id: 'bot', respond: async () => ((responded = true), { parts: [{ type: 'text', text: 'bot' }] }) },
    ])
    expect(await pipeline.run(turnFor('hi'))).toEqual([])
    expect(responded).toBe(false)
  })

  it('lets an inbound middleware take back the bot’s answer after next() and say something else', async () => {
    const pipeline = new Pipeline([
      {
        id: 'handoff',
        inbound: async (turn, next) => {
          await next()
          turn.replace(['A person will be with you shortly.'])
        },
      },
      { id: 'bot', respond: async () => ({ parts: [{ type: 'text', text: 'the bot’s answer' }] }) },
    ])
    expect((await pipeline.run(turnFor('a human please'))).map((r) => r.parts)).toEqual([[{ type: 'text', text: 'A person will be with you shortly.' }]])
  })

  it('lets inbound middlewares annotate and answer directly, and outbound transforms run as a waterfall', async () => {
    const pipeline = new Pipeline([
      {
        id: 'tagger',
        inbound: async (turn, next) => {
          turn.annotations.intent = 'greeting'
          await next()
        },
      },
      { id: 'bot', respond: async () => ({ parts: [{ type: 'text', text: 'hello' }] }) },
      { id: 'upper', outbound: async (_t, r) => ({ ...r, parts: r.parts.map((p) => (p.type === 'text' ? { ...p, text: p.text.toUpperCase() } : p)) }) },
      { id: 'bang', outbound: async (_t, r) => ({ ...r, parts: r.parts.map((p) => (p.type === 'text' ? { ...p, text: `${p.text}!` } : p)) }) },
    ])
    const turn = turnFor('hi')
    expect(textOf(await pipeline.run(turn))).toEqual(['HELLO!'])
    expect(turn.annotations.intent).toBe('greeting')
  })
})
