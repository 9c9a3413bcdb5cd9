/** Days as the config spells them, in the order `Date.getUTCDay()` counts them. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type Weekday = (typeof WEEKDAYS)[number]

export interface BusinessHours {
  /** An IANA zone: the hours and holidays are wall-clock times there. */
  timezone: string
  /** `mon: ['09:00-12:30', '13:30-18:00']`; a day not listed is closed. */
  days: Partial<Record<Weekday, readonly string[]>>
  /** Closed all day, as `YYYY-MM-DD` in the timezone. */
  holidays?: readonly string[]
}

/** When the desk opens next, on the desk's own wall clock. */
export interface Opening {
  /** 0 today, 1 tomorrow… */
  inDays: number
  weekday: Weekday
  /** `09:00` */
  time: string
}

export type DeskHours = { open: true } | { open: false; next: Opening | undefined }

/** How far ahead to look for an opening: three weeks covers any holiday season worth configuring. */
const HORIZON_DAYS = 21
const DAY_MS = 86_400_000

/**
 * Pure: whether the desk is open at `now`, and if not, when it next opens. Everything is compared
 * on the desk's wall clock, so daylight-saving changes move nothing: 09:00 is 09:00 in Berlin
 * in January and in July.
 */
export function deskHours(hours: BusinessHours, now: Date): DeskHours {
  const local = wallClock(now, hours.timezone)
  const holidays = new Set(hours.holidays ?? [])
  for (let inDays = 0; inDays <= HORIZON_DAYS; inDays++) {
    const day = new Date(local.dayStartUtc + inDays * DAY_MS)
    const date = day.toISOString().slice(0, 10)
    if (holidays.has(date)) continue
    const weekday = WEEKDAYS[day.getUTCDay()]!
    for (const { start, end } of (hours.days[weekday] ?? []).map(parseRange).sort((a, b) => a.start - b.start)) {
      if (inDays === 0 && local.minute >= end) continue
      if (inDays === 0 && local.minute >= start) return { open: true }
      return { open: false, next: { inDays, weekday, time: clock(start) } }
    }
  }
  return { open: false, next: undefined }
}

/** `09:00-18:00` → minutes since midnight; `24:00` closes at midnight. */
export function parseRange(range: string): { start: number; end: number } {
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(range)
  if (!match) throw new Error(`not a time range: ${range}`)
  const [, h1, m1, h2, m2] = match.map(Number) as [number, number, number, number, number]
  const start = h1 * 60 + m1
  const end = h2 * 60 + m2
  if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || end > 24 * 60 || end <= start) throw new Error(`not a time range within one day: ${range}`)
  return { start, end }
}

export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

const clock = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`

/** The wall-clock date (as a UTC midnight, for day arithmetic) and minute of the day in `zone`. */
function wallClock(at: Date, zone: string): { dayStartUtc: number; minute: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>
  return { dayStartUtc: Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)), minute: Number(parts.hour) * 60 + Number(parts.minute) }
}
