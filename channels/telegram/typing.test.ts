import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TypingIndicators } from './typing.js'

describe('typing indicators', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  const rig = (maxMs = 60_000) => {
    const shown: string[] = []
    const typing = new TypingIndicators(async (id) => void shown.push(id), { intervalMs: 4000, maxMs, now: () => Date.now() })
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
