import type { Turn } from '../../core/index.js'
import { detectLanguage } from '../language/text.js'

/**
 * The language to tell a customer something in: the one they just wrote in, else what their channel
 * says they use, else what their profile says, else the tenant's; reduced to a language there are
 * words for (`zh-CN` → `zh`).
 */
export function customerLanguage(turn: Pick<Turn, 'activity' | 'state'>, known: readonly string[], fallback: string): string {
  const { text, locale } = turn.activity
  // Only emoji, digits or punctuation say nothing about the language.
  const written = /[\p{Script=Han}]|[a-z]{2,}/iu.test(text) ? detectLanguage(text) : undefined
  return preferredLanguage([written, locale, turn.state.customer?.language], known, fallback)
}

/** The first candidate there are words for, by its base language. */
export function preferredLanguage(candidates: readonly (string | null | undefined)[], known: readonly string[], fallback: string): string {
  for (const candidate of candidates) {
    const base = candidate?.toLowerCase().split(/[-_]/)[0]
    if (base && known.includes(base)) return base
  }
  return known.includes(fallback) ? fallback : (known[0] ?? fallback)
}
