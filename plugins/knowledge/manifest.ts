import { isAbsolute } from 'node:path'
import { z } from 'zod'
import type { AgentManifest } from '../../core/index.js'
import { DEFAULT_CHUNK, DEFAULT_MAX_FILE_BYTES, DEFAULT_MEMORY_MAX_CHUNKS } from './defaults.js'
import { KnowledgeToken } from './types.js'

const Chunking = z
  .object({
    /** Longest chunk, in characters; Chinese packs more meaning per character, so keep it moderate. */
    maxChars: z.number().int().min(200).max(8000).default(DEFAULT_CHUNK.maxChars),
    /** Characters a chunk repeats from the end of the one before it (same section only). */
    overlapChars: z.number().int().min(0).max(2000).default(DEFAULT_CHUNK.overlapChars),
  })
  .strict()
  .refine((c) => c.overlapChars < c.maxChars / 2, { message: 'overlapChars must be less than half of maxChars', path: ['overlapChars'] })

export const KnowledgeConfig = z
  .object({
    /** The tenant's documents, relative to the tenant's config folder; default `knowledge/<tenant>`. */
    folder: z
      .string()
      .min(1)
      // A tenant file (which the admin API can write) must not point the bot at another tenant's
      // articles, or at any readable folder on the host, and have it quote them to strangers.
      .refine((f) => !isAbsolute(f) && !f.split(/[\\/]/).includes('..'), { message: 'must be a path inside the config folder (relative, without "..")' })
      .optional(),
    /** `builtin` needs no network; `llm` embeds with the tenant's `llm` plugin (list it above this one). */
    embedder: z.enum(['builtin', 'llm']).default('builtin'),
    chunk: Chunking.prefault({}),
    /** Passages a search returns unless the caller asks for another number. */
    limit: z.number().int().min(1).max(20).default(4),
    /** Passages scoring below this (0–1) are not returned. */
    minScore: z.number().min(0).max(1).default(0.15),
    /** Larger files are read only up to this many bytes, with a warning. */
    maxFileBytes: z.number().int().min(1024).default(DEFAULT_MAX_FILE_BYTES),
    /**
     * A knowledge base of at most this many chunks is also held in memory and searched there, which
     * saves LanceDB's fixed cost of a few ms per search; larger ones are searched in LanceDB only.
     * Memory per tenant: about 1.5 KB of vectors (builtin embedder) plus the text, per chunk. 0 turns it off.
     */
    memoryMaxChunks: z.number().int().min(0).max(1_000_000).default(DEFAULT_MEMORY_MAX_CHUNKS),
  })
  .strict()
export type KnowledgeConfig = z.infer<typeof KnowledgeConfig>

export const manifest = {
  kind: 'agent',
  id: 'knowledge',
  label: 'Knowledge base (hybrid search over the tenant’s documents)',
  version: '1.0.0',
  config: KnowledgeConfig,
  stages: [],
  provides: [KnowledgeToken],
} satisfies AgentManifest<typeof KnowledgeConfig>
