/**
 * Fuses the vector and full-text result lists with reciprocal rank fusion, then rescores the fused
 * candidates with cheap lexical evidence so the final score means something on its own (0–1) and
 * a threshold can drop weak matches. RRF alone only orders; it cannot say "nothing here fits".
 */

export interface Candidate {
  id: string
  source: string
  title: string | undefined
  text: string
  /** The stored full-text terms of title + text. */
  terms: string[]
  /** 0-based rank in the vector list, if it was there. */
  vectorRank?: number
  /** 0-based rank in the full-text list, if it was there. */
  textRank?: number
  /** Cosine similarity to the query, when both have vectors. */
  cosine?: number
}

export interface Scored extends Candidate {
  score: number
}

export const RRF_K = 60

export const WEIGHTS = { rrf: 0.15, coverage: 0.45, title: 0.15, cosine: 0.25 } as const

/**
 * @param queryTerms terms(query, { query: true }) — topic terms only, stop bigrams removed.
 * @param titleTerms per candidate id, the title's own terms (a title hit is stronger evidence than a body hit).
 */
export function rerank(queryTerms: readonly string[], candidates: readonly Candidate[], titleTerms: (c: Candidate) => readonly string[]): Scored[] {
  const unique = [...new Set(queryTerms)]
  const docSets = candidates.map((c) => new Set(c.terms))
  // Rarity within the candidate pool: a term every candidate shares ("plan") tells them apart least.
  const weight = new Map(unique.map((t) => [t, Math.log(1 + (candidates.length + 1) / (1 + docSets.filter((s) => s.has(t)).length))]))
  const total = unique.reduce((sum, t) => sum + weight.get(t)!, 0)
  const rrfMax = 2 / (RRF_K + 1)

  return candidates
    .map((c, i) => {
      const rrf = ((c.vectorRank === undefined ? 0 : 1 / (RRF_K + c.vectorRank + 1)) + (c.textRank === undefined ? 0 : 1 / (RRF_K + c.textRank + 1))) / rrfMax
      const has = docSets[i]!
      const coverage = total > 0 ? unique.reduce((sum, t) => sum + (has.has(t) ? weight.get(t)! : 0), 0) / total : 0
      const inTitle = new Set(titleTerms(c))
      const title = unique.length > 0 ? unique.filter((t) => inTitle.has(t)).length / unique.length : 0
      const cosine = Math.max(0, Math.min(1, c.cosine ?? 0))
      const score = WEIGHTS.rrf * rrf + WEIGHTS.coverage * coverage + WEIGHTS.title * title + WEIGHTS.cosine * cosine
      return { ...c, score: Math.round(Math.max(0, Math.min(1, score)) * 1000) / 1000 }
    })
    .sort((a, b) => b.score - a.score || (a.textRank ?? Infinity) - (b.textRank ?? Infinity) || a.id.localeCompare(b.id))
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0
}
