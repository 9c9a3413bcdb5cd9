import type { Turn } from '../../core/index.js'
import { detectLanguage } from '../language/text.js'

export type Language = 'zh' | 'en'

/** The language to answer in: what the customer wrote in, then what their channel says, then English. */
export function replyLanguage(turn: Turn): Language {
  const { text, locale } = turn.activity
  // Only emoji, digits or punctuation say nothing about the language.
  if (/[\p{Script=Han}]|[a-z]{2,}/iu.test(text)) return detectLanguage(text)
  return locale?.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

/** Knowledge is written per language; a passage in the customer's language reads better. */
export const languageOf = (text: string): Language => detectLanguage(text)
