import { tokenize } from '../language/text.js'
import type { Passage } from '../knowledge/types.js'

export interface Grounding {
  grounded: boolean
  /** Share of the answer's words found in the evidence (or the question). */
  coverage: number
  /** Figures in the answer that no passage contains: the costliest kind of invention. */
  unsupportedNumbers: string[]
}

const NUMBER = /\d+(?:[.,]\d+)?/g

/**
 * Pure: is an LLM answer backed by the passages it was given? Every figure (price, days, percent)
 * must appear in a passage, and most of its words must come from the passages or the question.
 * Deliberately strict: an ungrounded answer is replaced by a quoted one or an offer of a human.
 */
export function checkGrounding(answer: string, passages: readonly Passage[], question: string, minCoverage = 0.5): Grounding {
  const evidence = passages.map((p) => `${p.title ?? ''}\n${p.text}`).join('\n')
  const evidenceNumbers = new Set((evidence.match(NUMBER) ?? []).map(normaliseNumber))
  const unsupportedNumbers = [...new Set((answer.match(NUMBER) ?? []).map(normaliseNumber))].filter(
    // Citation markers like [1] are not claims.
    (n) => !evidenceNumbers.has(n) && !(n.length === 1 && new RegExp(`\\[${n}\\]`).test(answer)),
  )
  const known = new Set([...tokenize(evidence), ...tokenize(question)])
  const words = [...tokenize(answer.replace(/\[\d+\]/g, ''))]
  const covered = words.filter((w) => known.has(w)).length
  const coverage = words.length === 0 ? 0 : covered / words.length
  return { grounded: passages.length > 0 && unsupportedNumbers.length === 0 && coverage >= minCoverage, coverage, unsupportedNumbers }
}

const normaliseNumber = (n: string) => n.replace(',', '.').replace(/\.0+$/, '')
