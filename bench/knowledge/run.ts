/**
 * Knowledge-base benchmark: ingest a synthetic mixed Chinese/English corpus for one tenant, then
 * time hybrid searches exactly as the plugin runs them (LanceKnowledgeBase.search).
 *
 *   node --import tsx bench/knowledge/run.ts               # 3k, 10k and 100k chunks
 *   KB_BENCH_SIZES=10000 KB_BENCH_QUERIES=500 node --import tsx bench/knowledge/run.ts
 *
 * Tables within the default memoryMaxChunks are timed twice: on the in-memory path the plugin uses
 * for them, and in LanceDB (memoryMaxChunks 0) for comparison. Larger ones only in LanceDB.
 *
 * Target: search p99 < 50 ms at 100k chunks per tenant on 2 cores.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_MEMORY_MAX_CHUNKS } from '../../plugins/knowledge/defaults.js'
import { HashingEmbedder } from '../../plugins/knowledge/embedder.js'
import { ingestKnowledge } from '../../plugins/knowledge/ingest.js'
import { LanceKnowledgeBase } from '../../plugins/knowledge/knowledge-base.js'
import { knowledgeDir, readMeta } from '../../plugins/knowledge/store.js'
import { rng, textMaker, vocabulary, writeCorpus } from './corpus.js'

const sizes = (process.env.KB_BENCH_SIZES ?? '3000,10000,100000').split(',').map(Number)
const queryCount = Number(process.env.KB_BENCH_QUERIES ?? 400)
const TARGET_P99_MS = 50

interface Row {
  path: 'memory' | 'lancedb'
  chunks: number
  files: number
  writeCorpusS: number
  ingestS: number
  vectorIndex: boolean
  reingestSkipS: number
  /** LanceKnowledgeBase.open, which on the memory path includes loading the table into memory. */
  openMs: number
  p50: number
  p95: number
  p99: number
  max: number
  meanResults: number
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

async function benchOne(chunks: number): Promise<Row[]> {
  const root = await mkdtemp(join(tmpdir(), 'kb-bench-'))
  try {
    const folder = join(root, 'knowledge')
    const dataDir = join(root, 'data')
    let t = performance.now()
    await writeCorpus(folder, chunks)
    const writeCorpusS = (performance.now() - t) / 1000

    const embedder = new HashingEmbedder()
    t = performance.now()
    const ingested = await ingestKnowledge({ tenant: 'bench', folder, dataDir, embedder })
    const ingestS = (performance.now() - t) / 1000
    t = performance.now()
    const again = await ingestKnowledge({ tenant: 'bench', folder, dataDir, embedder })
    const reingestSkipS = (performance.now() - t) / 1000
    if (!again.skipped) throw new Error('unchanged folder was ingested again')

    const info = await readMeta(knowledgeDir(dataDir), 'bench')
    const paths = ingested.chunks <= DEFAULT_MEMORY_MAX_CHUNKS ? (['memory', 'lancedb'] as const) : (['lancedb'] as const)
    const rows: Row[] = []
    for (const path of paths) {
      const memoryMaxChunks = path === 'memory' ? DEFAULT_MEMORY_MAX_CHUNKS : 0
      t = performance.now()
      const kb = await LanceKnowledgeBase.open({ tenant: 'bench', dataDir, embedder, settings: { limit: 4, minScore: 0.15, memoryMaxChunks } })
      const openMs = performance.now() - t
      // The same queries on both paths, so their rows compare like for like.
      const random = rng(7)
      const make = textMaker(vocabulary(rng(42)), random)
      const queries = Array.from({ length: queryCount }, (_, i) => (i % 2 === 0 ? make.queryEn() : make.queryZh()))
      for (const q of queries.slice(0, 30)) await kb.search(q)
      const times: number[] = []
      let results = 0
      for (const q of queries) {
        const started = performance.now()
        results += (await kb.search(q)).length
        times.push(performance.now() - started)
      }
      kb.close()
      times.sort((a, b) => a - b)
      rows.push({
        path,
        chunks: ingested.chunks,
        files: ingested.sources,
        writeCorpusS,
        ingestS,
        vectorIndex: info?.vectorIndex ?? false,
        reingestSkipS,
        openMs,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        p99: percentile(times, 99),
        max: times.at(-1)!,
        meanResults: results / queries.length,
      })
    }
    return rows
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

const rows: Row[] = []
for (const size of sizes) {
  process.stdout.write(`… ${size} chunks\n`)
  rows.push(...(await benchOne(size)))
}

const f = (n: number, digits = 1) => n.toFixed(digits)
console.log(`\nKnowledge search, builtin embedder (384 dims), ${queryCount} queries (half zh, half en), limit 4, ${cpus().length} cores, Node ${process.version}`)
console.log('| chunks | searched in | files | ingest s | vector index | skip-unchanged s | open ms | p50 ms | p95 ms | p99 ms | max ms | results/query |')
console.log('|---:|:---|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|')
for (const r of rows) {
  console.log(`| ${r.chunks} | ${r.path} | ${r.files} | ${f(r.ingestS)} | ${r.vectorIndex ? 'IVF_FLAT' : 'flat'} | ${f(r.reingestSkipS, 2)} | ${f(r.openMs, 0)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.meanResults, 2)} |`)
}
const big = rows.find((r) => r.chunks >= 100_000)
if (big) console.log(`\nTarget p99 < ${TARGET_P99_MS} ms at 100k chunks: ${big.p99 < TARGET_P99_MS ? 'MET' : 'MISSED'} (${f(big.p99)} ms)`)
