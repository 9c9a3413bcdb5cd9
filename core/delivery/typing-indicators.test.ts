import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TypingIndicators } from './typing-indicators.js'

describe('typing indicators while a turn runs (spacing: always, Teams)', () => {
  let sent: { conversation: string; at: number }[]
  let typing: TypingIndicators

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
    sent = []
    typing = new TypingIndicators(
      async (conversation) => {
        sent.push({ conversation, at: Date.now() })
      },
      { intervalMs: 3000, maxMs: 60_000 },
    )
  })
  afterEach(() => {
    typing.stop()
    vi.useRealTimers()
  })

  it('shows one at once and repeats it every 3 s until the turn ends', async () => {
    typing.set('c1', true)
    await vi.advanceTimersByTimeAsync(10_000)
    typing.set('c1', false)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(sent.map((s) => s.at)).toEqual([0, 3000, 6000, 9000])
  })

  it('never sends two within 3 s, however quickly turns switch it on and off', async () => {
    for (let i = 0; i < 20; i++) {
      typing.set('c1', true)
      await vi.advanceTimersByTimeAsync(400)
      typing.set('c1', false)
      await vi.advanceTimersByTimeAsync(100)
    }
    const times = sent.map((s) => s.at)
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(3000)
  })

  it('keeps conversations apart', async () => {
    typing.set('c1', true)
    typing.set('c2', true)
    await vi.advanceTimersByTimeAsync(0)
    expect(sent.map((s) => s.conversation)).toEqual(['c1', 'c2'])
  })

  it('gives up on an indicator whose "off" never came', async () => {
    typing.set('c1', true)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(sent).toHaveLength(20)
    expect(typing.active).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('leaves no timer behind when the channel stops', () => {
    typing.set('c1', true)
    typing.set('c2', true)
    typing.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('survives a failed send', async () => {
    const failing = new TypingIndicators(async () => Promise.reject(new Error('429')), { intervalMs: 3000, maxMs: 60_000 })
    failing.set('c1', true)
    await vi.advanceTimersByTimeAsync(3000)
    failing.stop()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('typing indicators that a new turn shows at once (spacing: while-on, Telegram)', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  const rig = (maxMs = 60_000) => {
    const shown: string[] = []
    const typing = new TypingIndicators(async (id) => void shown.push(id), { intervalMs: 4000, maxMs, spacing: 'while-on', now: () => Date.now() })
    return { typing, shown }
  }

  it('shows typing at once and refreshes it every interval until turned off', () => {
    const { typing, shown } = rig()
    typing.set('c1', true)
    typing.set('c1', true)
    expect(shown).toEqual(['c1'])
    vi.advanceTimersByTime(8000)
    expect(shown).toEqual(['c1', 'c1', 'c1'])
    typing.set('c1', false)
    vi.advanceTimersByTime(20_000)
    expect(shown).toHaveLength(3)
    expect(typing.active).toBe(0)
  })

  it('keeps one timer per chat, and stops refreshing when an "off" never comes', () => {
    const { typing, shown } = rig(10_000)
    typing.set('c1', true)
    typing.set('c2', true)
    expect(typing.active).toBe(2)
    vi.advanceTimersByTime(60_000)
    expect(shown.filter((id) => id === 'c1')).toHaveLength(3)
    expect(typing.active).toBe(0)
  })

  it('clears every timer when the channel stops', () => {
    const { typing, shown } = rig()
    typing.set('c1', true)
    typing.stop()
    vi.advanceTimersByTime(20_000)
    expect(shown).toEqual(['c1'])
    expect(vi.getTimerCount()).toBe(0)
  })
})
