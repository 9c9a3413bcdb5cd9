import { partToText, type Option, type Part } from '../../core/index.js'
import { menuLine } from './prompts.js'

/** A stored reply as the transcript hands it back (its annotations are the reply's hints). */
export interface StoredReply {
  /** Always set on a reply; null only on the user's own messages. */
  seq: number | null
  parts: Part[]
  annotations: Record<string, unknown>
}

/** What a turn's replies come to on the phone. */
export interface SpokenAnswer {
  /** One `<Say>` each, in order. */
  lines: string[]
  /** The last choice offered, which the keypad answers next. */
  menu?: { seq: number; options: Option[] }
  /** A reply asked for a human. */
  handoff: boolean
  /** The last seq the caller will have heard. */
  lastSeq: number
}

/** Options a caller can pick by key; the rest are read out and can be said. */
export const MENU_KEYS = 9

/**
 * Pure: the turn's replies → what the caller hears. A reply's `speak` replaces its text; a choice
 * is read as a keypad menu ("For Refund, press 1."), after the spoken text.
 */
export function spokenAnswer(replies: readonly StoredReply[], menuTemplate: string): SpokenAnswer {
  const answer: SpokenAnswer = { lines: [], handoff: false, lastSeq: 0 }
  for (const reply of replies) {
    const speak = typeof reply.annotations.speak === 'string' ? reply.annotations.speak : undefined
    const said = speak !== undefined ? [speak] : reply.parts.map((part) => (part.type === 'choice' ? part.text : partToText(part)))
    answer.lines.push(...said.filter((line) => line.trim() !== ''))
    const seq = reply.seq ?? 0
    const options = menuOf(reply.parts)
    if (options) {
      answer.lines.push(menuLines(options, menuTemplate))
      answer.menu = { seq, options }
    }
    if (reply.annotations.handoff === true) answer.handoff = true
    answer.lastSeq = Math.max(answer.lastSeq, seq)
  }
  return answer
}

/** The options of a reply's last choice, if it offers one. */
export function menuOf(parts: readonly Part[]): Option[] | undefined {
  const choice = parts.findLast((part) => part.type === 'choice')
  return choice?.options
}

const menuLines = (options: readonly Option[], template: string) =>
  options.map((option, i) => (i < MENU_KEYS ? menuLine(template, option.title, i + 1) : `${option.title}.`)).join(' ')
