import { describe, expect, it } from 'vitest'
import { SlidingWindows } from './sliding-windows.js'

describe('sliding windows over our own sends', () => {
  const clock = { now: 0 }
  const windows = () => new SlidingWindows([{ points: 7, seconds: 1 }, { points: 8, seconds: 2 }, { points: 1800, seconds: 3600 }], 0, () => clock.now)

  it('allows 7 in any second and 8 in any two, where fixed windows would allow twice that at an edge', () => {
    clock.now = 0
    const w = windows()
    for (let i = 0; i < 7; i++) {
      expect(w.waitMs('t')).toBe(0)
      w.record('t')
    }
    expect(w.waitMs('t')).toBe(1001)
    clock.now = 1001
    expect(w.waitMs('t')).toBe(0)
    w.record('t')
    // A fixed 1 s window opened at 1001 would take 6 more at 1500; 8 in the last 2 s say wait until 2001.
    clock.now = 1500
    expect(w.waitMs('t')).toBe(501)
    clock.now = 2001
    expect(w.waitMs('t')).toBe(0)
  })

  it('widens each window by the margin', () => {
    clock.now = 0
    const w = new SlidingWindows([{ points: 1, seconds: 1 }], 250, () => clock.now)
    w.record('t')
    clock.now = 1100
    expect(w.waitMs('t')).toBe(151)
  })

  it('keeps keys apart and forgets what has aged out', () => {
    clock.now = 0
    const w = windows()
    for (let i = 0; i < 7; i++) w.record('a')
    expect(w.waitMs('b')).toBe(0)
    clock.now = 5000
    expect(w.waitMs('a')).toBe(0)
  })

  it('leaves windows over a minute to the shared governor', () => {
    clock.now = 0
    const w = new SlidingWindows([{ points: 1, seconds: 3600 }], 0, () => clock.now)
    w.record('t')
    expect(w.waitMs('t')).toBe(0)
  })
})
