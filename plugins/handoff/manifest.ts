import { z } from 'zod'
import { Tokens, type AgentManifest } from '../../core/index.js'
import { regexSource } from '../support/schema.js'
import { WEEKDAYS, isTimeZone, parseRange } from './business-hours.js'

const TimeRange = z.string().refine(
  (range) => {
    try {
      parseRange(range)
      return true
    } catch {
      return false
    }
  },
  { message: 'a time range within one day, e.g. 09:00-18:00' },
)

export const BusinessHoursConfig = z
  .object({
    timezone: z.string().refine(isTimeZone, { message: 'an IANA time zone, e.g. Europe/Berlin' }),
    /** Days not listed are closed. */
    days: z.partialRecord(z.enum(WEEKDAYS), z.array(TimeRange)),
    /** Closed all day, `YYYY-MM-DD` in the timezone. */
    holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')).default([]),
  })
  .strict()

const text = z.string().min(1).max(1000)
export const MessagesOverride = z
  .object({
    connecting: text,
    position: text,
    next: text,
    minute: text,
    minutes: text,
    afterHours: text,
    closed: text,
    today: text,
    tomorrow: text,
    weekday: text,
    days: z.array(z.string().min(1)).length(7),
    joined: text,
    resolved: text,
    rate: text,
    thanks: text,
    abandoned: text,
    idle: text,
  })
  .partial()
  .strict()

export const HandoffConfig = z
  .object({
    /** Outside these hours nobody is queued: the customer is told when the team is back and a ticket is opened. Always open when omitted. */
    businessHours: BusinessHoursConfig.optional(),
    /** The tenant's own reasons to hand over: a message matching `pattern` (case-insensitive) goes to a person. */
    rules: z.array(z.object({ pattern: regexSource('iu'), reason: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a short snake_case reason') }).strict()).default([]),
    /** A conversation nobody took within this long is given up (the customer is told, a ticket keeps it). */
    abandonAfterMinutes: z.number().positive().max(24 * 60).default(30),
    /** A taken conversation with no message either way for this long goes back to the bot. */
    idleAfterMinutes: z.number().positive().max(7 * 24 * 60).default(60),
    /** The wait quoted per place in line until there is enough history to quote the recent median. */
    expectedWaitMinutesPerPosition: z.number().positive().max(600).default(2),
    /** A waiting customer who writes is told their place in line at most this often. */
    positionUpdateEverySeconds: z.number().int().min(0).max(3600).default(60),
    /** How often this replica looks for abandoned, idle and hung-up handoffs. */
    sweepEverySeconds: z.number().int().min(1).max(600).default(30),
    /** Per language (`en`, `zh`, or another), any of the customer-facing texts. */
    messages: z.record(z.string().regex(/^[a-z]{2,3}$/, 'a language code, e.g. en'), MessagesOverride).default({}),
    /** After an agent resolves, ask the customer for a 1–5 rating. */
    askForRating: z.boolean().default(true),
  })
  .strict()
export type HandoffConfig = z.infer<typeof HandoffConfig>

export const manifest = {
  kind: 'agent',
  id: 'handoff',
  label: 'Handoff to human agents',
  version: '1.0.0',
  config: HandoffConfig,
  stages: ['inbound'],
  gatewayOnly: true,
  provides: [Tokens.HandoffDesk],
} satisfies AgentManifest<typeof HandoffConfig>
