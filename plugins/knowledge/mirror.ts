import type { Table as ArrowTable } from 'apache-arrow'

/**
 * A read-only copy of one small table, searched in JS. Each LanceDB query has a fixed cost of a
 * few milliseconds (native call, planning, Arrow decoding) that dwarfs brute force over a few
 * thousand chunks, and most tenants' knowledge bases are that small. It answers the same two
 * lists LanceDB would: exact cosine for the vectors, BM25 over the stored `terms` for full text.
 */

// Lance's full-text search uses the textbook BM25 parameters; matching them keeps the two paths' rankings alike.
const K1 = 1.2
const B = 0.75

export interface MirrorRow {
  id: string
  source: string
  title: string | undefined
  text: string
  terms: string[]
}

export interface Ranked {
  row: number
  score: number
}

export class Mirror {
  readonly rows: readonly MirrorRow[]
  readonly #dimensions: number
  /** Row-major, rows × dimensions; empty when the stored vectors are not comparable with the query's. */
  readonly #vectors: Float32Array
  /** Squared norms, summed in the same order as rerank.ts's cosine() so both paths report identical cosines. */
  readonly #norms: Float64Array
  readonly #termIds: Map<string, number>
  /** Term t's postings are rows and counts [offsets[t], offsets[t + 1]), rows ascending. */
  readonly #offsets: Uint32Array
  readonly #postingRows: Uint32Array
  readonly #postingCounts: Uint32Array
  readonly #idf: Float64Array
  /** Per row, k1 · (1 − b + b · length / average length): the part of BM25's denominator fixed at load. */
  readonly #lengthNorm: Float64Array

  private constructor(rows: MirrorRow[], dimensions: number, vectors: Float32Array) {
    this.rows = rows
    this.#dimensions = dimensions
    this.#vectors = vectors
    const n = rows.length
    this.#norms = new Float64Array(dimensions > 0 ? n : 0)
    for (let r = 0; r < this.#norms.length; r++) {
      let sum = 0
      for (let d = r * dimensions, end = d + dimensions; d < end; d++) sum += vectors[d]! * vectors[d]!
      this.#norms[r] = sum
    }

    // Terms become small integers and the postings one flat array (CSR): a 3k-row table has tens of
    // thousands of distinct terms, and a Map per row plus arrays per term made loading slow.
    const termIds = new Map<string, number>()
    const rowIds: Uint32Array[] = []
    const df: number[] = []
    let totalLength = 0
    for (let r = 0; r < n; r++) {
      const { terms } = rows[r]!
      totalLength += terms.length
      const ids = new Uint32Array(terms.length)
      for (let i = 0; i < terms.length; i++) {
        let termId = termIds.get(terms[i]!)
        if (termId === undefined) {
          termIds.set(terms[i]!, (termId = df.length))
          df.push(0)
        }
        ids[i] = termId
      }
      ids.sort()
      for (let i = 0; i < ids.length; i++) if (i === 0 || ids[i] !== ids[i - 1]) df[ids[i]!]!++
      rowIds.push(ids)
    }
    const offsets = new Uint32Array(df.length + 1)
    for (let t = 0; t < df.length; t++) offsets[t + 1] = offsets[t]! + df[t]!
    const postingRows = new Uint32Array(offsets[df.length]!)
    const postingCounts = new Uint32Array(offsets[df.length]!)
    const fill = offsets.slice(0, df.length)
    for (let r = 0; r < n; r++) {
      const ids = rowIds[r]!
      for (let i = 0; i < ids.length; ) {
        let j = i + 1
        while (j < ids.length && ids[j] === ids[i]) j++
        const at = fill[ids[i]!]!++
        postingRows[at] = r
        postingCounts[at] = j - i
        i = j
      }
    }
    this.#termIds = termIds
    this.#offsets = offsets
    this.#postingRows = postingRows
    this.#postingCounts = postingCounts
    this.#idf = Float64Array.from(df, (d) => Math.log(1 + (n - d + 0.5) / (d + 0.5)))
    const average = n > 0 ? totalLength / n : 0
    this.#lengthNorm = Float64Array.from(rows, (row) => K1 * (1 - B + (average > 0 ? (B * row.terms.length) / average : 0)))
  }

  /** @param dimensions 0 to leave the vectors out (they came from another embedder and are never searched). */
  static fromArrow(arrow: ArrowTable, dimensions: number): Mirror {
    // Column iterators and the vectors' backing buffers, not get(i): on a multi-batch table every
    // get(i) searches for its batch and builds a view, which made a 3k-row load take ~250 ms.
    const strings = (name: string) => [...arrow.getChild(name)!] as (string | null)[]
    const [id, source, title, text, terms] = ['id', 'source', 'title', 'text', 'terms'].map(strings) as (string | null)[][]
    const rows: MirrorRow[] = id!.map((rowId, i) => ({
      id: rowId!,
      source: source![i]!,
      title: title![i] ?? undefined,
      text: text![i]!,
      terms: terms![i] ? terms![i]!.split(' ') : [],
    }))
    const column = dimensions > 0 ? arrow.getChild('vector') : null
    const vectors = new Float32Array(column ? rows.length * dimensions : 0)
    let at = 0
    for (const data of column?.data ?? []) {
      const child = data.children[0]!
      const values = child.values as Float32Array
      const start = (child.offset + data.offset * dimensions) | 0
      vectors.set(values.subarray(start, start + data.length * dimensions), at)
      at += data.length * dimensions
    }
    return new Mirror(rows, column ? dimensions : 0, vectors)
  }

  /** The k rows nearest the query by cosine, nearest first; every row is a candidate, as in an unindexed LanceDB scan. */
  nearest(query: Float32Array, k: number): Ranked[] {
    const dims = this.#dimensions
    if (dims === 0 || query.length !== dims) return []
    const queryNorm = squaredNorm(query)
    if (queryNorm === 0) return this.rows.slice(0, k).map((_, row) => ({ row, score: 0 }))
    const top = new TopK(k)
    const vectors = this.#vectors
    const norms = this.#norms
    const tail = dims - (dims % 4)
    for (let r = 0, o = 0; r < this.rows.length; r++, o += dims) {
      // Four running sums let the CPU overlap the multiplies: this loop is most of a search's time.
      // Only the ranking uses it; the cosine handed to the reranker is summed in cosine()'s order.
      let d0 = 0
      let d1 = 0
      let d2 = 0
      let d3 = 0
      let d = 0
      for (; d < tail; d += 4) {
        d0 += query[d]! * vectors[o + d]!
        d1 += query[d + 1]! * vectors[o + d + 1]!
        d2 += query[d + 2]! * vectors[o + d + 2]!
        d3 += query[d + 3]! * vectors[o + d + 3]!
      }
      for (; d < dims; d++) d0 += query[d]! * vectors[o + d]!
      const norm = norms[r]!
      top.offer(r, norm > 0 ? (d0 + d1 + d2 + d3) / Math.sqrt(queryNorm * norm) : 0)
    }
    return top.sorted()
  }

  /** Same value as rerank.ts's cosine(query, stored vector of row). */
  cosine(query: Float32Array, row: number): number {
    return this.#dimensions === 0 || query.length !== this.#dimensions ? 0 : this.#cosine(query, squaredNorm(query), row)
  }

  #cosine(query: Float32Array, queryNorm: number, row: number): number {
    const dims = this.#dimensions
    const vectors = this.#vectors
    let dot = 0
    for (let d = 0, o = row * dims; d < dims; d++, o++) dot += query[d]! * vectors[o]!
    const norm = this.#norms[row]!
    return queryNorm > 0 && norm > 0 ? dot / Math.sqrt(queryNorm * norm) : 0
  }

  /** The k best rows by BM25 over the stored terms, best first; only rows sharing a term with the query. */
  bm25(queryTerms: readonly string[], k: number): Ranked[] {
    const scores = new Float64Array(this.rows.length)
    const touched: number[] = []
    for (const term of new Set(queryTerms)) {
      const termId = this.#termIds.get(term)
      if (termId === undefined) continue
      const idf = this.#idf[termId]!
      for (let p = this.#offsets[termId]!, end = this.#offsets[termId + 1]!; p < end; p++) {
        const r = this.#postingRows[p]!
        const tf = this.#postingCounts[p]!
        if (scores[r] === 0) touched.push(r)
        scores[r]! += (idf * tf * (K1 + 1)) / (tf + this.#lengthNorm[r]!)
      }
    }
    const top = new TopK(k)
    for (const r of touched) top.offer(r, scores[r]!)
    return top.sorted()
  }
}

const ahead = (row: number, score: number, item: Ranked): boolean => score > item.score || (score === item.score && row < item.row)

function squaredNorm(v: Float32Array): number {
  let sum = 0
  for (let d = 0; d < v.length; d++) sum += v[d]! * v[d]!
  return sum
}

/** Keeps the k highest scores seen; ties go to the earlier row so results do not depend on timing. */
class TopK {
  readonly #k: number
  readonly #items: Ranked[] = []

  constructor(k: number) {
    this.#k = Math.max(0, k)
  }

  offer(row: number, score: number): void {
    const items = this.#items
    if (items.length === this.#k && (this.#k === 0 || !ahead(row, score, items[items.length - 1]!))) return
    // k is a few dozen, so an insertion into a sorted array beats a heap.
    let at = items.length
    while (at > 0 && ahead(row, score, items[at - 1]!)) at--
    items.splice(at, 0, { row, score })
    if (items.length > this.#k) items.pop()
  }

  sorted(): Ranked[] {
    return this.#items
  }
}
