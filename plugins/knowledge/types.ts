import type { InjectionToken } from 'tsyringe'

/** One retrieved chunk of the tenant's knowledge base. */
export interface Passage {
  id: string
  /** The file it came from, relative to the knowledge folder (e.g. `pricing.md`). */
  source: string
  /** The heading path above the chunk (e.g. `Plans › Business`), when the file has headings. */
  title?: string
  text: string
  /** Fused and reranked relevance, 0–1, higher is better. Comparable within one search only. */
  score: number
}

export interface KnowledgeSearchOptions {
  limit?: number
  signal?: AbortSignal
}

/** The tenant's knowledge base, provided by the `knowledge` plugin to plugins listed after it. */
export interface KnowledgeBase {
  search(query: string, options?: KnowledgeSearchOptions): Promise<Passage[]>
  stats(): Promise<{ chunks: number; sources: number; ingestedAt?: Date }>
}

export const KnowledgeToken = Symbol.for('switchboard.plugins.Knowledge') as InjectionToken<KnowledgeBase>
