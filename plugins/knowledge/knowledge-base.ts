import * as lancedb from './lance.js'
import type { Table as ArrowTable } from 'apache-arrow'
import { DEFAULT_MEMORY_MAX_CHUNKS } from './defaults.js'
import type { Embedder } from './embedder.js'
import { Mirror, type Ranked } from './mirror.js'
import { cosine, rerank, type Candidate } from './rerank.js'
import type { KnowledgeLog } from './sources.js'
import { knowledgeDir, metaVersion, readMeta, type KnowledgeMeta } from './store.js'
import { normalise, terms } from './terms.js'
import type { KnowledgeBase, KnowledgeSearchOptions, Passage } from './types.js'

export interface SearchSettings {
  /** Passages returned when the caller does not say. */
  limit: number
  /** Passages scoring below this (0–1) are dropped. */
  minScore: number
  /** How many rows each of the two searches fetches before fusion; at least 4 × limit. */
  candidates?: number
  /** IVF partitions scanned when the table has a vector index (of about √chunks); more is slower and finds more. */
  nprobes?: number
  /**
   * Tables of at most this many chunks are copied into memory when opened and searched there:
   * exact, and free of LanceDB's fixed cost of a few ms per query. 0 keeps every search in
   * LanceDB. Costs about dimensions × 4 bytes plus the text per chunk. Default 5,000.
   */
  memoryMaxChunks?: number
}

export interface OpenKnowledgeBase {
  tenant: string
  dataDir: string
  /** Must be the embedder the table was built with, or vector search is switched off. */
  embedder: Embedder
  settings: SearchSettings
  log?: KnowledgeLog
  /** Called with each search's duration in seconds. */
  observe?: (seconds: number) => void
  /** How often (ms) a search checks whether another process swapped the tenant's table; default 2000. */
  refreshMs?: number
}

interface Live {
  meta: KnowledgeMeta
  table: lancedb.Table
  /** False when the stored vectors came from another embedder (e.g. a CLI ingest with other settings). */
  vectors: boolean
  /** Set when the table is small enough to be searched in memory; then LanceDB is not queried at all. */
  mirror: Mirror | undefined
}

const MAX_QUERY_CHARS = 1000
/** Customers ask the same few questions (and tap the same suggestions) again and again. */
const CACHED_SEARCHES = 512
const MAX_QUERY_TERMS = 64
const REFRESH_MS = 2000
const SELECT = ['id', 'source', 'title', 'text', 'terms', 'vector']

/**
 * One tenant's knowledge base: hybrid search over its current LanceDB table. The vector and
 * full-text searches run side by side, their lists are fused and reranked in rerank.ts.
 */
export class LanceKnowledgeBase implements KnowledgeBase {
  readonly #db: lancedb.Connection
  readonly #dir: string
  readonly #options: OpenKnowledgeBase
  #live: Live | undefined
  #version: string | undefined
  #checkedAt = 0
  #refreshing: Promise<void> | undefined
  readonly #retired = new Set<lancedb.Table>()
  /** Recent results by table, limit and normalised query: a new table is a new key, so nothing stale. */
  readonly #recent = new Map<string, readonly Passage[]>()
  #closed = false

  private constructor(db: lancedb.Connection, dir: string, options: OpenKnowledgeBase) {
    this.#db = db
    this.#dir = dir
    this.#options = options
  }

  static async open(options: OpenKnowledgeBase): Promise<LanceKnowledgeBase> {
    const dir = knowledgeDir(options.dataDir)
    const kb = new LanceKnowledgeBase(await lancedb.connect(dir), dir, options)
    await kb.#refresh(true)
    return kb
  }

  async search(query: string, options: KnowledgeSearchOptions = {}): Promise<Passage[]> {
    const started = performance.now()
    try {
      options.signal?.throwIfAborted()
      const passages = await this.#search(query.slice(0, MAX_QUERY_CHARS), options)
      options.signal?.throwIfAborted()
      return passages
    } finally {
      this.#options.observe?.((performance.now() - started) / 1000)
    }
  }

  async stats(): Promise<{ chunks: number; sources: number; ingestedAt?: Date }> {
    await this.#maybeRefresh()
    const meta = this.#live?.meta
    return meta ? { chunks: meta.chunks, sources: meta.sources, ingestedAt: new Date(meta.ingestedAt) } : { chunks: 0, sources: 0 }
  }

  close(): void {
    this.#closed = true
    this.#live?.table.close()
    this.#live = undefined
    this.#recent.clear()
    for (const table of this.#retired) table.close()
    this.#retired.clear()
    this.#db.close()
  }

  async #search(query: string, options: KnowledgeSearchOptions): Promise<Passage[]> {
    const { settings } = this.#options
    if (!normalise(query).trim()) return []
    const limit = Math.max(1, Math.min(50, Math.floor(options.limit ?? settings.limit)))
    // Unique, and capped: a pasted paragraph should not turn into a thousand-term BM25 query.
    const queryTerms = [...new Set(terms(query, { query: true }))].slice(0, MAX_QUERY_TERMS)
    await this.#maybeRefresh()
    const live = this.#live
    if (!live || live.meta.chunks === 0) return []
    const key = `${live.meta.table}\u0000${limit}\u0000${normalise(query).replace(/\s+/g, ' ').trim()}`
    const cached = this.#recent.get(key)
    if (cached) {
      this.#recent.delete(key)
      this.#recent.set(key, cached)
      return cached.map((p) => ({ ...p }))
    }
    const { passages, complete } = await this.#searchTable(live, query, queryTerms, limit, options)
    // A search that lost its vector half (the LLM embedder was down) is not worth remembering.
    if (complete) {
      this.#recent.set(key, passages)
      if (this.#recent.size > CACHED_SEARCHES) this.#recent.delete(this.#recent.keys().next().value!)
    }
    return passages.map((p) => ({ ...p }))
  }

  async #searchTable(live: Live, query: string, queryTerms: string[], limit: number, options: KnowledgeSearchOptions): Promise<{ passages: Passage[]; complete: boolean }> {
    const { settings } = this.#options

    const vector = live.vectors ? await this.#embedQuery(query, options.signal) : undefined
    const k = Math.max(settings.candidates ?? 24, limit * 4)
    const candidates = live.mirror ? mirrorCandidates(live.mirror, vector, queryTerms, k) : await this.#lanceCandidates(live, vector, queryTerms, k)
    const passages = rerank(queryTerms, [...candidates.values()], titleTerms)
      .filter((c) => c.score >= settings.minScore)
      .slice(0, limit)
      .map((c) => ({ id: c.id, source: c.source, ...(c.title ? { title: c.title } : {}), text: c.text, score: c.score }))
    return { passages, complete: !live.vectors || vector !== undefined }
  }

  async #lanceCandidates(live: Live, vector: Float32Array | undefined, queryTerms: string[], k: number): Promise<Map<string, Candidate>> {
    const { log } = this.#options
    const run = (table: lancedb.Table) =>
      Promise.all([
        vector ? this.#vectorQuery(table, live, vector, k) : Promise.resolve(undefined),
        queryTerms.length > 0 ? table.query().fullTextSearch(queryTerms.join(' '), { columns: ['terms'] }).select([...SELECT, '_score']).limit(k).toArrow() : Promise.resolve(undefined),
      ])
    let results: Awaited<ReturnType<typeof run>>
    try {
      results = await run(live.table)
    } catch (error) {
      // The table may have been dropped under us by an ingest in another process; its successor is in the pointer file.
      await this.#refresh(true)
      if (!this.#live || this.#live.table === live.table) throw error
      log?.debug({ error: (error as Error).message }, 'knowledge table changed during a search; retried on the new one')
      results = await run(this.#live.table)
    }

    const [byVector, byText] = results
    const candidates = new Map<string, Candidate>()
    const collect = (arrow: ArrowTable | undefined, rank: 'vectorRank' | 'textRank') => {
      if (!arrow) return
      for (let i = 0; i < arrow.numRows; i++) {
        const id = arrow.getChild('id')!.get(i) as string
        let c = candidates.get(id)
        if (!c) {
          const stored = arrow.getChild('vector')?.get(i) as { toArray(): Float32Array } | null
          c = {
            id,
            source: arrow.getChild('source')!.get(i) as string,
            title: (arrow.getChild('title')!.get(i) as string | null) ?? undefined,
            text: arrow.getChild('text')!.get(i) as string,
            terms: (arrow.getChild('terms')!.get(i) as string).split(' '),
            ...(vector && stored ? { cosine: cosine(vector, stored.toArray()) } : {}),
          }
          candidates.set(id, c)
        }
        c[rank] ??= i
      }
    }
    collect(byVector, 'vectorRank')
    collect(byText, 'textRank')
    return candidates
  }

  #vectorQuery(table: lancedb.Table, live: Live, vector: Float32Array, k: number): Promise<ArrowTable> {
    const { settings } = this.#options
    let query = table.vectorSearch(vector).distanceType('cosine').select([...SELECT, '_distance']).limit(k)
    if (live.meta.vectorIndex) query = query.nprobes(settings.nprobes ?? 20)
    return query.toArrow()
  }

  /** An embedder that needs the network (llm) may fail; full-text search alone still answers. */
  async #embedQuery(query: string, signal?: AbortSignal): Promise<Float32Array | undefined> {
    try {
      const [vector] = await this.#options.embedder.embed([query], signal)
      return vector ? (vector instanceof Float32Array ? vector : Float32Array.from(vector)) : undefined
    } catch (error) {
      signal?.throwIfAborted()
      this.#options.log?.warn({ error: (error as Error).message }, 'query embedding failed; searching full text only')
      return undefined
    }
  }

  /** One scan of the whole table; a failure only costs speed, so the table is then searched in LanceDB. */
  async #loadMirror(table: lancedb.Table, meta: KnowledgeMeta, vectors: boolean): Promise<Mirror | undefined> {
    const max = this.#options.settings.memoryMaxChunks ?? DEFAULT_MEMORY_MAX_CHUNKS
    if (meta.chunks > max) return undefined
    try {
      return Mirror.fromArrow(await table.query().select(SELECT).toArrow(), vectors ? meta.dimensions : 0)
    } catch (error) {
      this.#options.log?.warn({ tenant: this.#options.tenant, error: (error as Error).message }, 'could not load the knowledge table into memory; searching it in LanceDB')
      return undefined
    }
  }

  async #maybeRefresh(): Promise<void> {
    if (Date.now() - this.#checkedAt < (this.#options.refreshMs ?? REFRESH_MS)) return
    this.#refreshing ??= this.#refresh(false).finally(() => (this.#refreshing = undefined))
    await this.#refreshing
  }

  async #refresh(force: boolean): Promise<void> {
    if (this.#closed) return
    const { tenant, embedder, log } = this.#options
    this.#checkedAt = Date.now()
    const version = await metaVersion(this.#dir, tenant)
    if (!force && version === this.#version) return
    this.#version = version
    const meta = await readMeta(this.#dir, tenant)
    if (!meta || this.#closed) return
    if (this.#live?.meta.table === meta.table) {
      this.#live = { ...this.#live, meta }
      return
    }
    const table = await this.#db.openTable(meta.table)
    const vectors = meta.embedder === embedder.id && meta.dimensions === embedder.dimensions
    if (!vectors) log?.warn({ tenant, stored: meta.embedder, configured: embedder.id }, 'knowledge table was built with another embedder; vector search is off until it is re-ingested')
    const mirror = await this.#loadMirror(table, meta, vectors)
    if (this.#closed) {
      table.close()
      return
    }
    const previous = this.#live
    // One assignment: a search holds either the old table and its mirror or the new ones, never a mix.
    this.#live = { meta, table, vectors, mirror }
    // Searches that started on the old table may still be reading it; close it a little later.
    if (previous) {
      // Only the table is kept for them: a search holds its own reference to the old mirror, so it goes as soon as they finish.
      const retired = previous.table
      this.#retired.add(retired)
      setTimeout(() => {
        if (this.#retired.delete(retired)) retired.close()
      }, 30_000).unref()
    }
  }
}

/** Both lists from the mirror, ranked as LanceDB would rank them, merged into one candidate per row. */
function mirrorCandidates(mirror: Mirror, vector: Float32Array | undefined, queryTerms: string[], k: number): Map<string, Candidate> {
  const byRow = new Map<number, Candidate>()
  const add = (list: Ranked[], rank: 'vectorRank' | 'textRank') =>
    list.forEach(({ row }, i) => {
      let c = byRow.get(row)
      // The LanceDB path gives a text-only hit its cosine too; so must this one, or the two paths score differently.
      if (!c) byRow.set(row, (c = { ...mirror.rows[row]!, ...(vector ? { cosine: mirror.cosine(vector, row) } : {}) }))
      c[rank] ??= i
    })
  if (vector) add(mirror.nearest(vector, k), 'vectorRank')
  if (queryTerms.length > 0) add(mirror.bm25(queryTerms, k), 'textRank')
  return new Map([...byRow.values()].map((c) => [c.id, c]))
}

/** A FAQ pair's question is its real heading: a customer asking it should find that answer first. */
const FAQ_QUESTION = /^Q: (.*)$/m
const titleTerms = (c: Candidate): string[] => {
  const question = FAQ_QUESTION.exec(c.text)?.[1]
  return [...(c.title ? terms(c.title) : []), ...(question ? terms(question) : [])]
}
