import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import * as lancedb from './lance.js'
import type { FixedSizeList as FixedSizeListType, Float32 as Float32Type, Table as ArrowTable } from 'apache-arrow'

// LanceDB is CommonJS and checks `instanceof` against the CommonJS build of apache-arrow; an ESM
// import would load the second (ESM) copy, whose tables it rejects.
const { Field, FixedSizeList, Float32, Int32, RecordBatch, Schema, Struct, Table, Utf8, makeData, vectorFromArray } = createRequire(import.meta.url)(
  'apache-arrow',
) as typeof import('apache-arrow')

/**
 * Layout under `<data>/knowledge/` (one LanceDB database for every tenant):
 *
 *   kb_<tenant>.<generation>.lance   the tenant's chunks; a new generation per ingest
 *   kb_<tenant>.json                 which generation is live, and what it was built from
 *
 * LanceDB OSS cannot rename a table, and overwriting one in place drops its indexes until they are
 * rebuilt, so an ingest writes and indexes a new generation and only then swaps the pointer file
 * (an atomic rename). Searches keep using the generation they opened; the previous one is kept
 * until the next ingest so a gateway that has not noticed the swap yet never reads a dropped table.
 */

export const knowledgeDir = (dataDir: string) => join(dataDir, 'knowledge')

const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/

export function assertTenant(tenant: string): void {
  if (!TENANT.test(tenant)) throw new Error(`invalid tenant id ${JSON.stringify(tenant)}: lowercase letters, digits, - and _ only`)
}

export const tablePrefix = (tenant: string) => `kb_${tenant}.`

/** Sortable by creation time, unique across processes. */
export const newTableName = (tenant: string) =>
  `${tablePrefix(tenant)}${Date.now().toString(36).padStart(9, '0')}${randomBytes(3).toString('hex')}`

export interface KnowledgeMeta {
  tenant: string
  /** The live table. */
  table: string
  embedder: string
  dimensions: number
  /** Hash of every source file, the chunking options, the embedder and the format version. */
  fingerprint: string
  ingestedAt: string
  chunks: number
  sources: number
  vectorIndex: boolean
}

const metaFile = (dir: string, tenant: string) => join(dir, `kb_${tenant}.json`)

export async function readMeta(dir: string, tenant: string): Promise<KnowledgeMeta | undefined> {
  try {
    return JSON.parse(await readFile(metaFile(dir, tenant), 'utf8')) as KnowledgeMeta
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Changes whenever the pointer file is replaced (a rename gives it a new inode), without reading it. */
export async function metaVersion(dir: string, tenant: string): Promise<string | undefined> {
  const info = await stat(metaFile(dir, tenant)).catch(() => undefined)
  return info && `${info.ino}:${info.mtimeMs}`
}

export async function writeMeta(dir: string, meta: KnowledgeMeta): Promise<void> {
  await mkdir(dir, { recursive: true })
  const file = metaFile(dir, meta.tenant)
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(tmp, JSON.stringify(meta, null, 2))
  await rename(tmp, file)
}

/**
 * Drops the tenant's generations older than the one before `live`. Older names sort first, so
 * a generation another process is still writing (newer than `live`) is never touched.
 */
export async function dropOldGenerations(db: lancedb.Connection, tenant: string, live: string): Promise<string[]> {
  const prefix = tablePrefix(tenant)
  const mine = (await allTableNames(db)).filter((n) => n.startsWith(prefix) && n.slice(prefix.length).indexOf('.') === -1).sort()
  const at = mine.indexOf(live)
  const doomed = at > 0 ? mine.slice(0, at - 1) : []
  for (const name of doomed) await db.dropTable(name).catch(() => {})
  return doomed
}

async function allTableNames(db: lancedb.Connection): Promise<string[]> {
  const names: string[] = []
  for (;;) {
    const page = await db.tableNames({ limit: 1000, ...(names.length ? { startAfter: names.at(-1)! } : {}) })
    names.push(...page)
    if (page.length < 1000) return names
  }
}

export interface ChunkRow {
  id: string
  source: string
  title: string | undefined
  text: string
  /** Space-separated terms (terms.ts) for the full-text index. */
  terms: string
  ordinal: number
  vector: Float32Array
}

export const tableSchema = (dimensions: number) =>
  new Schema([
    new Field('id', new Utf8(), false),
    new Field('source', new Utf8(), false),
    new Field('title', new Utf8(), true),
    new Field('text', new Utf8(), false),
    new Field('terms', new Utf8(), false),
    new Field('ordinal', new Int32(), false),
    new Field('vector', new FixedSizeList(dimensions, new Field('item', new Float32(), true)), false),
  ])

/** Rows to Arrow directly: LanceDB's object-to-Arrow path is several times slower for vectors. */
export function toArrow(rows: readonly ChunkRow[], dimensions: number): ArrowTable {
  const schema = tableSchema(dimensions)
  const flat = new Float32Array(rows.length * dimensions)
  rows.forEach((row, i) => flat.set(row.vector, i * dimensions))
  const vectorType = schema.fields[6]!.type as FixedSizeListType<Float32Type>
  const vectors = makeData({ type: vectorType, length: rows.length, nullCount: 0, child: makeData({ type: new Float32(), length: flat.length, data: flat }) })
  const strings = (pick: (r: ChunkRow) => string | undefined) => vectorFromArray(rows.map((r) => pick(r) ?? null), new Utf8()).data[0]!
  const ordinals = makeData({ type: new Int32(), length: rows.length, data: Int32Array.from(rows, (r) => r.ordinal) })
  const children = [strings((r) => r.id), strings((r) => r.source), strings((r) => r.title), strings((r) => r.text), strings((r) => r.terms), ordinals, vectors]
  const struct = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children })
  return new Table([new RecordBatch(schema, struct)])
}

/** A fresh one per call: LanceDB consumes an Index when it builds it. */
export const ftsIndex = () =>
  lancedb.Index.fts({
    // terms.ts already lowercased, stemmed and split Chinese into bigrams; the index must not redo it.
    baseTokenizer: 'whitespace',
    lowercase: false,
    stem: false,
    removeStopWords: false,
    asciiFolding: false,
    // Positions only serve phrase queries, which we never send; without them the index is smaller.
    withPosition: false,
  })

/**
 * IVF_FLAT: vectors are grouped into √n partitions and a search scans only the `nprobes` nearest
 * ones, with exact distances. Measured at 100k chunks × 384 dims on 2 cores: built in ~3 s where
 * IVF_PQ took 77 s and HNSW_SQ 22 s, and searched in ~12 ms (nprobes 20) against 130 ms flat.
 * PQ's quantisation also cost recall on hashed vectors, which do not cluster the way model
 * embeddings do.
 */
export function vectorIndex(rows: number) {
  const numPartitions = Math.max(4, Math.min(4096, Math.round(Math.sqrt(rows))))
  return lancedb.Index.ivfFlat({ distanceType: 'cosine', numPartitions })
}
