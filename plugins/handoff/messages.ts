import type { Opening } from './business-hours.js'
import { WEEKDAYS } from './business-hours.js'

/** Everything the desk tells a customer; a tenant overrides any of it per language in config. */
export interface DeskMessages {
  connecting: string
  /** `{position}`, `{wait}` */
  position: string
  /** Position 1. `{wait}` */
  next: string
  minute: string
  /** `{n}` */
  minutes: string
  /** `{when}`, `{timezone}` */
  afterHours: string
  /** Closed with no opening in sight (every day a holiday). */
  closed: string
  /** When the desk opens: `{time}`, and `{day}` for a later weekday. */
  today: string
  tomorrow: string
  weekday: string
  /** Sunday first, like the config's `sun`. */
  days: string[]
  /** `{agent}` */
  joined: string
  resolved: string
  rate: string
  thanks: string
  abandoned: string
  idle: string
}

export const DEFAULT_MESSAGES: Record<string, DeskMessages> = {
  en: {
    connecting: 'I’m connecting you with a person.',
    position: 'You’re number {position} in line; expected wait about {wait}.',
    next: 'You’re next in line; expected wait about {wait}.',
    minute: '1 minute',
    minutes: '{n} minutes',
    afterHours: 'Our team is away right now. They’re back {when} ({timezone}) and will answer you then.',
    closed: 'Our team is away right now and will get back to you as soon as they can.',
    today: 'today at {time}',
    tomorrow: 'tomorrow at {time}',
    weekday: '{day} at {time}',
    days: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
    joined: '{agent} has joined the conversation.',
    resolved: 'Thanks for your patience — you’re back with the assistant.',
    rate: 'How would you rate the help you got, from 1 (poor) to 5 (excellent)?',
    thanks: 'Thank you for your feedback!',
    abandoned: 'Sorry, nobody could get to you in time. Our team will follow up on your request.',
    idle: 'This conversation with our team has ended. You’re back with the assistant; ask for a person again any time.',
  },
  zh: {
    connecting: '正在为您转接人工客服。',
    position: '您当前排在第{position}位，预计等待约{wait}。',
    next: '您是下一位，预计等待约{wait}。',
    minute: '1分钟',
    minutes: '{n}分钟',
    afterHours: '我们的客服团队目前不在线，将于{when}（{timezone}）恢复服务，届时会回复您。',
    closed: '我们的客服团队目前不在线，会尽快回复您。',
    today: '今天{time}',
    tomorrow: '明天{time}',
    weekday: '{day}{time}',
    days: ['周日', '周一', '周二', '周三', '周四', '周五', '周六'],
    joined: '{agent}已加入对话。',
    resolved: '感谢您的耐心等待，现在由智能助手继续为您服务。',
    rate: '请为本次服务打分：1（很差）到 5（很好）。',
    thanks: '感谢您的评价！',
    abandoned: '抱歉，暂时没有客服能及时接待您。我们的团队会跟进您的问题。',
    idle: '本次人工对话已结束，现在由智能助手继续为您服务。如需人工，请随时告诉我们。',
  },
}

/** The defaults with a tenant's overrides on top; a language only the tenant has starts from English. */
export function deskMessages(overrides: Record<string, Partial<DeskMessages>>): Record<string, DeskMessages> {
  const merged: Record<string, DeskMessages> = { ...DEFAULT_MESSAGES }
  for (const [language, own] of Object.entries(overrides)) merged[language] = { ...(DEFAULT_MESSAGES[language] ?? DEFAULT_MESSAGES.en!), ...own }
  return merged
}

const fill = (template: string, values: Record<string, string | number>) => template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole))

/** Pure: what a customer waiting in line hears. */
export function queuePosition(m: DeskMessages, position: number, waitMinutes: number): string {
  const wait = waitMinutes <= 1 ? m.minute : fill(m.minutes, { n: waitMinutes })
  return position <= 1 ? fill(m.next, { wait }) : fill(m.position, { position, wait })
}

/** Pure: when the desk is back, as a customer reads it. */
export function backAt(m: DeskMessages, opening: Opening | undefined, timezone: string): string {
  if (!opening) return m.closed
  const when =
    opening.inDays === 0
      ? fill(m.today, { time: opening.time })
      : opening.inDays === 1
        ? fill(m.tomorrow, { time: opening.time })
        : fill(m.weekday, { day: m.days[WEEKDAYS.indexOf(opening.weekday)] ?? opening.weekday, time: opening.time })
  return fill(m.afterHours, { when, timezone })
}

export const agentJoined = (m: DeskMessages, agent: string): string => fill(m.joined, { agent })
