import type { DependencyContainer } from 'tsyringe'
import { LlmToken, type LlmService } from '../llm/types.js'
import { isStopword, normalise } from './terms.js'

/** Turns texts into vectors; the knowledge base stores one per chunk and compares them by cosine. */
export interface Embedder {
  /** Recorded with the table: a different id means the stored vectors are useless and ingest re-runs. */
  readonly id: string
  readonly dimensions: number
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[] | number[][]>
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
const WORDISH = /[\p{L}\p{N}]/u

// Feature families get distinct seeds so "ab" as a word and "ab" as a bigram land in different buckets.
const SEED = { word: 0x9e3779b1, latinGram: 0x85ebca6b, cjk1: 0xc2b2ae35, cjk2: 0x27d4eb2f, cjk3: 0x165667b1 } as const
const WEIGHT = { word: 1, latinGram: 0.35, cjk1: 0.35, cjk2: 1, cjk3: 0.6 } as const

/**
 * Signed feature hashing of character n-grams (the "hashing trick"): no model, no network, the same
 * vector on every machine. Latin text contributes whole words plus their 3- and 4-grams (so
 * "refund" meets "refunds"); CJK runs contribute characters, bigrams and trigrams, which is
 * where the meaning of unsegmented Chinese lives. Good at lexical closeness, blind to synonyms.
 */
export class HashingEmbedder implements Embedder {
  readonly id: string

  constructor(readonly dimensions = 384) {
    if (!Number.isInteger(dimensions) || dimensions < 16) throw new RangeError('dimensions must be an integer ≥ 16')
    this.id = `builtin-hash-v1:${dimensions}`
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    signal?.throwIfAborted()
    return texts.map((t) => this.embedOne(t))
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimensions)
    const chars = [...normalise(text)]
    let i = 0
    while (i < chars.length) {
      const c = chars[i]!
      if (CJK.test(c)) {
        let j = i
        while (j < chars.length && CJK.test(chars[j]!)) j++
        this.#cjkRun(chars, i, j, v)
        i = j
      } else if (WORDISH.test(c)) {
        let j = i
        while (j < chars.length && WORDISH.test(chars[j]!) && !CJK.test(chars[j]!)) j++
        this.#word(chars, i, j, v)
        i = j
      } else i++
    }
    let norm = 0
    for (let k = 0; k < v.length; k++) norm += v[k]! * v[k]!
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm)
      for (let k = 0; k < v.length; k++) v[k]! *= inv
    }
    return v
  }

  #cjkRun(chars: string[], start: number, end: number, v: Float32Array): void {
    for (let i = start; i < end; i++) {
      this.#add(hash(chars, i, i + 1, SEED.cjk1), WEIGHT.cjk1, v)
      if (i + 2 <= end) this.#add(hash(chars, i, i + 2, SEED.cjk2), WEIGHT.cjk2, v)
      if (i + 3 <= end) this.#add(hash(chars, i, i + 3, SEED.cjk3), WEIGHT.cjk3, v)
    }
  }

  #word(chars: string[], start: number, end: number, v: Float32Array): void {
    const length = end - start
    if (length < 2 && !/\d/.test(chars[start]!)) return
    if (length <= 5 && isStopword(chars.slice(start, end).join(''))) return
    this.#add(hash(chars, start, end, SEED.word), WEIGHT.word, v)
    // Word boundaries count as characters so prefixes and suffixes are features of their own.
    const padded = ['\u0002', ...chars.slice(start, end), '\u0003']
    for (const n of [3, 4]) {
      for (let i = 0; i + n <= padded.length; i++) this.#add(hash(padded, i, i + n, SEED.latinGram + n), WEIGHT.latinGram, v)
    }
  }

  #add(h: number, weight: number, v: Float32Array): void {
    const mixed = fmix32(h)
    const bucket = mixed % this.dimensions
    v[bucket]! += mixed & 0x80000000 ? -weight : weight
  }
}

/** FNV-1a over the code units of chars[start, end), without building the substring. */
function hash(chars: string[], start: number, end: number, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = start; i < end; i++) {
    const s = chars[i]!
    for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193)
  }
  return h >>> 0
}

/** Murmur3's finaliser: spreads FNV's weak low bits so `% dimensions` and the sign bit are independent. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Embeddings from the tenant's LLM provider (`llm` plugin); ingest sends them in batches. */
export class LlmEmbedder implements Embedder {
  readonly id: string

  constructor(
    private readonly llm: LlmService,
    readonly dimensions: number,
    private readonly batchSize = 64,
  ) {
    this.id = `llm:${llm.provider}:${llm.model}:${dimensions}`
  }

  /** Asks the provider once when the `llm` plugin does not know its embedding size. */
  static async create(llm: LlmService): Promise<LlmEmbedder> {
    const dimensions = llm.embeddingDimensions ?? (await llm.embed(['dimensions probe'], { purpose: 'embedding' }))[0]?.length
    if (!dimensions) throw new Error('the llm plugin returned no embedding; is an embeddings model configured?')
    return new LlmEmbedder(llm, dimensions)
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const out: number[][] = []
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const batch = await this.llm.embed(texts.slice(i, i + this.batchSize), { purpose: 'embedding', ...(signal ? { signal } : {}) })
      for (const vector of batch) {
        if (vector.length !== this.dimensions) throw new Error(`embedding has ${vector.length} dimensions, expected ${this.dimensions}`)
        out.push(vector)
      }
    }
    return out
  }
}

/**
 * The embedder a tenant's config names. `llm` borrows the `llm` plugin's service, so that plugin
 * must be listed above this one.
 */
export async function createEmbedder(kind: 'builtin' | 'llm', container: DependencyContainer): Promise<Embedder> {
  if (kind === 'builtin') return new HashingEmbedder()
  if (!container.isRegistered(LlmToken, true)) {
    throw new Error('embedder "llm" needs an llm plugin listed above the knowledge plugin (or set embedder: builtin)')
  }
  return LlmEmbedder.create(container.resolve(LlmToken))
}
