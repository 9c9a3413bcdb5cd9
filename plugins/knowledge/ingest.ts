import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import * as lancedb from './lance.js'
import { chunkFaq, chunkMarkdown, chunkText, type Chunk, type ChunkOptions } from './chunker.js'
import type { Embedder } from './embedder.js'
import { DEFAULT_CHUNK, DEFAULT_MAX_FILE_BYTES, DEFAULT_VECTOR_INDEX_MIN_ROWS } from './defaults.js'
import { parseFaqFile } from './faq-file.js'
import { readSources, type KnowledgeLog, type SkippedFile, type SourceFile } from './sources.js'
import {
  assertTenant,
  dropOldGenerations,
  ftsIndex,
  knowledgeDir,
  newTableName,
  readMeta,
  tableSchema,
  toArrow,
  vectorIndex,
  writeMeta,
  type ChunkRow,
  type KnowledgeMeta,
} from './store.js'
import { TERMS_VERSION, indexTerms } from './terms.js'

/** Bumped when the stored rows change shape or meaning; part of the fingerprint. */
const FORMAT_VERSION = 1


export interface IngestOptions {
  tenant: string
  /** The tenant's knowledge folder (absolute, or relative to the working directory). */
  folder: string
  /** The gateway's data folder; the database lives in `<dataDir>/knowledge/`. */
  dataDir: string
  embedder: Embedder
  chunk?: Partial<ChunkOptions>
  maxFileBytes?: number
  vectorIndexMinRows?: number
  /** Rebuild even when the folder and embedder are unchanged. */
  force?: boolean
  log?: KnowledgeLog
  signal?: AbortSignal
}

export interface IngestResult {
  chunks: number
  sources: number
  /** True when the stored table already matched the folder and nothing was written. */
  skipped: boolean
  ms: number
  table: string
  skippedFiles: SkippedFile[]
}

const running = new Map<string, Promise<unknown>>()

/**
 * Reads a tenant's knowledge folder into its LanceDB table, unless the table was already built
 * from exactly these files with this embedder. Ingests of one tenant run one at a time in this
 * process; different tenants never share a table or a pointer file.
 *
 * @example
 * const result = await ingestKnowledge({ tenant: 'demo', folder: 'config/knowledge/demo', dataDir: 'data', embedder: new HashingEmbedder() })
 */
export async function ingestKnowledge(options: IngestOptions): Promise<IngestResult> {
  assertTenant(options.tenant)
  const key = `${resolve(options.dataDir)}\0${options.tenant}`
  const previous = running.get(key) ?? Promise.resolve()
  const task = previous.catch(() => {}).then(() => ingestNow(options))
  running.set(key, task)
  try {
    return await task
  } finally {
    if (running.get(key) === task) running.delete(key)
  }
}

async function ingestNow(options: IngestOptions): Promise<IngestResult> {
  const started = performance.now()
  const { tenant, embedder, log, signal } = options
  const chunk = { ...DEFAULT_CHUNK, ...options.chunk }
  if (chunk.overlapChars >= chunk.maxChars / 2) throw new RangeError('chunk.overlapChars must be less than half of chunk.maxChars')
  const folder = resolve(options.folder)
  const dir = knowledgeDir(resolve(options.dataDir))
  const { files, skipped: skippedFiles } = await readSources(folder, { maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES }, log)
  const fingerprint = fingerprintOf(files, chunk, embedder)

  const db = await lancedb.connect(dir)
  try {
    const meta = await readMeta(dir, tenant)
    if (!options.force && meta?.fingerprint === fingerprint && (await db.tableNames()).includes(meta.table)) {
      log?.debug({ tenant, table: meta.table }, 'knowledge unchanged; ingest skipped')
      return { chunks: meta.chunks, sources: meta.sources, skipped: true, ms: performance.now() - started, table: meta.table, skippedFiles }
    }

    const chunks = files.flatMap((file) => chunksOf(file, chunk, log).map((c, ordinal) => ({ ...c, source: file.path, ordinal })))
    if (chunks.length === 0) log?.warn({ tenant, folder }, 'knowledge folder has no usable content; searches will find nothing')
    const table = newTableName(tenant)
    // IVF training needs a few rows per partition, whatever the option says.
    const indexed = chunks.length >= Math.max(256, options.vectorIndexMinRows ?? DEFAULT_VECTOR_INDEX_MIN_ROWS)
    const next: Omit<KnowledgeMeta, 'ingestedAt'> = {
      tenant,
      table,
      embedder: embedder.id,
      dimensions: embedder.dimensions,
      fingerprint,
      chunks: chunks.length,
      sources: new Set(chunks.map((c) => c.source)).size,
      vectorIndex: indexed,
    }
    try {
      await writeTable(db, table, chunks, embedder, signal)
      if (indexed) {
        const t = await db.openTable(table)
        await t.createIndex('vector', { config: vectorIndex(chunks.length) }).finally(() => t.close())
      }
      signal?.throwIfAborted()
      await writeMeta(dir, { ...next, ingestedAt: new Date().toISOString() })
    } catch (error) {
      await db.dropTable(table).catch(() => {})
      throw error
    }
    // The new generation is live from here on; failing to tidy up old ones must not undo that.
    const dropped = await dropOldGenerations(db, tenant, table).catch((error: Error) => {
      log?.warn({ tenant, error: error.message }, 'could not drop old knowledge tables')
      return []
    })
    const ms = performance.now() - started
    log?.info({ tenant, table, chunks: next.chunks, sources: next.sources, skippedFiles: skippedFiles.length, dropped: dropped.length, ms: Math.round(ms) }, 'knowledge ingested')
    return { chunks: next.chunks, sources: next.sources, skipped: false, ms, table, skippedFiles }
  } finally {
    db.close()
  }
}

function chunksOf(file: SourceFile, options: ChunkOptions, log?: KnowledgeLog): Chunk[] {
  switch (file.kind) {
    case 'markdown':
      return chunkMarkdown(file.content, options)
    case 'text':
      return chunkText(file.content, options)
    case 'faq-yaml':
    case 'faq-json': {
      try {
        const { pairs, problems } = parseFaqFile(file.content, file.kind === 'faq-json' ? 'json' : 'yaml')
        if (problems.length > 0) log?.warn({ file: file.path, problems }, 'knowledge FAQ file has entries that were skipped')
        return chunkFaq(pairs)
      } catch (error) {
        log?.warn({ file: file.path, reason: (error as Error).message }, 'knowledge file skipped: not valid YAML/JSON')
        return []
      }
    }
  }
}

function fingerprintOf(files: readonly SourceFile[], chunk: ChunkOptions, embedder: Embedder): string {
  const hash = createHash('sha256')
  hash.update(JSON.stringify({ format: FORMAT_VERSION, terms: TERMS_VERSION, embedder: embedder.id, dimensions: embedder.dimensions, chunk }))
  for (const file of files) hash.update(`\n${file.path}\0${file.sha256}`)
  return hash.digest('hex')
}

const EMBED_BATCH = 256
const WRITE_BATCH = 16_384

/** Embeds and writes in batches, yielding between them: a big ingest at setup must not freeze other tenants' turns. */
async function writeTable(db: lancedb.Connection, name: string, chunks: readonly (Chunk & { source: string; ordinal: number })[], embedder: Embedder, signal?: AbortSignal): Promise<void> {
  let table: lancedb.Table | undefined
  try {
    if (chunks.length === 0) {
      table = await db.createEmptyTable(name, tableSchema(embedder.dimensions))
      return
    }
    for (let start = 0; start < chunks.length; start += WRITE_BATCH) {
      const slice = chunks.slice(start, start + WRITE_BATCH)
      const rows: ChunkRow[] = []
      for (let i = 0; i < slice.length; i += EMBED_BATCH) {
        signal?.throwIfAborted()
        const batch = slice.slice(i, i + EMBED_BATCH)
        const vectors = await embedder.embed(batch.map((c) => (c.title ? `${c.title}\n${c.text}` : c.text)), signal)
        batch.forEach((c, k) => {
          const vector = vectors[k]
          if (!vector || vector.length !== embedder.dimensions) throw new Error(`embedder ${embedder.id} returned a vector of the wrong size`)
          rows.push({ id: `${c.source}#${c.ordinal}`, source: c.source, title: c.title, text: c.text, terms: indexTerms(c.title, c.text), ordinal: c.ordinal, vector: vector instanceof Float32Array ? vector : Float32Array.from(vector) })
        })
        await yieldToLoop()
      }
      const data = toArrow(rows, embedder.dimensions)
      if (table) await table.add(data)
      else table = await db.createTable(name, data)
    }
    await table!.createIndex('terms', { config: ftsIndex() })
  } finally {
    table?.close()
  }
}
