import { describe, expect, it } from 'vitest'
import { deskHours, parseRange, type BusinessHours } from './business-hours.js'
import { DEFAULT_MESSAGES, backAt, queuePosition } from './messages.js'

const berlin: BusinessHours = {
  timezone: 'Europe/Berlin',
  days: { mon: ['09:00-12:30', '13:30-18:00'], tue: ['09:00-18:00'], wed: ['09:00-18:00'], thu: ['09:00-18:00'], fri: ['09:00-17:00'] },
  holidays: ['2026-12-25'],
}
const at = (iso: string) => new Date(iso)

describe('business hours, on the desk’s own wall clock', () => {
  it('is open inside a range and closed over lunch, telling when it opens again', () => {
    expect(deskHours(berlin, at('2026-03-02T08:00:00Z'))).toEqual({ open: true }) // 09:00 in Berlin (CET)
    expect(deskHours(berlin, at('2026-03-02T11:45:00Z'))).toEqual({ open: false, next: { inDays: 0, weekday: 'mon', time: '13:30' } })
  })

  it('follows daylight saving: 09:00 in Berlin is 07:00 UTC in summer and 08:00 in winter', () => {
    expect(deskHours(berlin, at('2026-07-06T07:05:00Z'))).toEqual({ open: true })
    expect(deskHours(berlin, at('2026-01-05T07:05:00Z')).open).toBe(false)
    // The Monday after the clocks went forward (29 March 2026), 08:30 UTC is 10:30 in Berlin.
    expect(deskHours(berlin, at('2026-03-30T08:30:00Z'))).toEqual({ open: true })
  })

  it('sends a Friday evening to Monday morning, and skips a holiday', () => {
    expect(deskHours(berlin, at('2026-03-06T17:00:00Z'))).toEqual({ open: false, next: { inDays: 3, weekday: 'mon', time: '09:00' } })
    // Thursday 24 December 2026 after hours: Christmas Day is a holiday, so Monday the 28th.
    expect(deskHours(berlin, at('2026-12-24T18:00:00Z'))).toEqual({ open: false, next: { inDays: 4, weekday: 'mon', time: '09:00' } })
  })

  it('reads the date in the desk’s zone, not in UTC', () => {
    // 23:30 UTC on Sunday is already Monday 08:30 in Tokyo.
    const tokyo: BusinessHours = { timezone: 'Asia/Tokyo', days: { mon: ['09:00-18:00'] } }
    expect(deskHours(tokyo, at('2026-03-01T23:30:00Z'))).toEqual({ open: false, next: { inDays: 0, weekday: 'mon', time: '09:00' } })
    expect(deskHours(tokyo, at('2026-03-02T00:30:00Z'))).toEqual({ open: true })
  })

  it('has no opening to offer when every day is closed', () => {
    expect(deskHours({ timezone: 'UTC', days: {} }, at('2026-03-02T10:00:00Z'))).toEqual({ open: false, next: undefined })
  })

  it('accepts ranges within one day only', () => {
    expect(parseRange('00:00-24:00')).toEqual({ start: 0, end: 1440 })
    expect(() => parseRange('22:00-02:00')).toThrow(/within one day/)
    expect(() => parseRange('9-17')).toThrow(/not a time range/)
  })
})

describe('what a waiting customer hears', () => {
  const { en, zh } = DEFAULT_MESSAGES as Required<typeof DEFAULT_MESSAGES>

  it('gives their place in line and the expected wait, in English and Chinese', () => {
    expect(queuePosition(en!, 2, 4)).toBe('You’re number 2 in line; expected wait about 4 minutes.')
    expect(queuePosition(en!, 1, 1)).toBe('You’re next in line; expected wait about 1 minute.')
    expect(queuePosition(zh!, 3, 6)).toBe('您当前排在第3位，预计等待约6分钟。')
  })

  it('says when the team is back, in words for today, tomorrow or a weekday', () => {
    expect(backAt(en!, { inDays: 0, weekday: 'mon', time: '13:30' }, 'Europe/Berlin')).toBe('Our team is away right now. They’re back today at 13:30 (Europe/Berlin) and will answer you then.')
    expect(backAt(en!, { inDays: 3, weekday: 'mon', time: '09:00' }, 'Europe/Berlin')).toContain('back Monday at 09:00 (Europe/Berlin)')
    expect(backAt(zh!, { inDays: 1, weekday: 'tue', time: '09:00' }, 'Asia/Shanghai')).toContain('将于明天09:00（Asia/Shanghai）恢复服务')
    expect(backAt(en!, undefined, 'UTC')).toBe('Our team is away right now and will get back to you as soon as they can.')
  })
})
