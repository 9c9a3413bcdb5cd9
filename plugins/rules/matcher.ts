import type { FaqEntry, KeywordRule, Localized } from './manifest.js'
import { normalise, tokenize } from '../language/text.js'

export interface FaqMatch {
  entry: FaqEntry
  index: number
  score: number
}

interface IndexedEntry {
  entry: FaqEntry
  index: number
  tokens: Set<string>
  keywords: string[]
}

const variants = (value: Localized): string[] => (typeof value === 'string' ? [value] : Object.values(value))

/** Scores FAQ entries against a message; built once per tenant config, used on every turn. */
export class FaqMatcher {
  readonly #entries: IndexedEntry[]

  constructor(entries: readonly FaqEntry[]) {
    this.#entries = entries.map((entry, index) => ({
      entry,
      index,
      tokens: new Set([...variants(entry.question), ...entry.also].flatMap((q) => [...tokenize(q)])),
      keywords: entry.keywords.map(normalise),
    }))
  }

  /** Best matches first. A keyword hit counts most; otherwise the share of the message's words the entry covers. */
  rank(text: string): FaqMatch[] {
    const lower = normalise(text)
    const tokens = tokenize(text)
    const exact = this.#entries.find((e) => [...variants(e.entry.question), ...e.entry.also].some((q) => normalise(q) === lower.trim()))
    if (exact) return [{ entry: exact.entry, index: exact.index, score: 1 }]
    return this.#entries
      .map(({ entry, index, tokens: known, keywords }) => {
        const keywordHits = keywords.filter((k) => lower.includes(k)).length
        let overlap = 0
        for (const t of tokens) if (known.has(t)) overlap++
        const coverage = tokens.size === 0 ? 0 : overlap / tokens.size
        const score = Math.min(1, (keywordHits > 0 ? 0.6 + 0.1 * (keywordHits - 1) : 0) + coverage * 0.5)
        return { entry, index, score }
      })
      .filter((m) => m.score > 0)
      .sort((a, b) => b.score - a.score || a.index - b.index)
  }
}

/**
 * The first rule whose pattern or keyword occurs in the text, with what its pattern captured
 * (`$0` the whole match, `$1`… the groups) for the reply to quote.
 */
export function matchRule(rules: readonly KeywordRule[], text: string): { rule: KeywordRule; captures: readonly string[] } | undefined {
  const lower = normalise(text)
  for (const rule of rules) {
    const match = rule.pattern ? new RegExp(rule.pattern, 'iu').exec(text) : null
    if (match) return { rule, captures: match.map((group) => group ?? '') }
    if (rule.keywords.some((k) => lower.includes(normalise(k)))) return { rule, captures: [] }
  }
  return undefined
}
