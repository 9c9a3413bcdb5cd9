import type { Turn } from '../../core/index.js'
import { hasCjk } from '../language/text.js'

export type Language = 'zh' | 'en'

/** The language to answer in: what the customer wrote in, then what their channel says, then English. */
export function replyLanguage(turn: Turn): Language {
  if (hasCjk(turn.activity.text)) return 'zh'
  if (/[a-z]{2,}/i.test(turn.activity.text)) return 'en'
  return turn.activity.locale?.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

/** Knowledge is written per language; a passage in the customer's language reads better. */
export const languageOf = (text: string): Language => (hasCjk(text) ? 'zh' : 'en')
