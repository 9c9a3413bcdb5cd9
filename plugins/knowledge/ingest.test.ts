import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as lancedb from './lance.js'
import { HashingEmbedder } from './embedder.js'
import { ingestKnowledge } from './ingest.js'
import { LanceKnowledgeBase } from './knowledge-base.js'
import { knowledgeDir, readMeta } from './store.js'
import { recordingLog, tempRoot } from './test-folders.js'

const embedder = new HashingEmbedder()
let temp: Awaited<ReturnType<typeof tempRoot>>
beforeAll(async () => {
  temp = await tempRoot()
})
afterAll(() => temp.cleanup())

const shop = {
  'shipping.md': '# Shipping\n\n## Express\n\nExpress delivery arrives the next business day and costs €9.90.\n\n## Standard\n\nStandard delivery takes 2–4 business days.',
  'returns/refunds.md': '# Refunds\n\nRefunds reach your card within 5 business days after we receive the item.',
  'faq.faq.yaml': 'faq:\n  - question: { en: Do you ship to Norway?, zh: 你们发货到挪威吗？ }\n    answer: { en: Yes, in 3–6 business days., zh: 可以，3–6 个工作日送达。 }\n',
  'notes.txt': '退货须知\n\n收到商品后三十天内可以申请退货，退款五个工作日内到账。',
}

async function tablesOf(dataDir: string): Promise<string[]> {
  const db = await lancedb.connect(knowledgeDir(dataDir))
  try {
    return await db.tableNames()
  } finally {
    db.close()
  }
}

describe('ingestKnowledge', () => {
  it('reads Markdown, text and FAQ files recursively and makes them searchable', async () => {
    const folder = await temp.folder('shop', shop)
    const dataDir = join(temp.root, 'data-basic')
    const result = await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder })
    expect(result).toMatchObject({ skipped: false, sources: 4, chunks: 6 })

    const kb = await LanceKnowledgeBase.open({ tenant: 'shop', dataDir, embedder, settings: { limit: 4, minScore: 0.1 } })
    try {
      const [express] = await kb.search('how much is express delivery')
      expect(express).toMatchObject({ source: 'shipping.md', title: 'Shipping › Express', id: 'shipping.md#0' })
      expect(express!.text).toContain('€9.90')
      expect(express!.score).toBeGreaterThan(0)
      expect(express!.score).toBeLessThanOrEqual(1)
      expect((await kb.search('refund card'))[0]?.source).toBe('returns/refunds.md')
      expect((await kb.search('发货到挪威'))[0]?.text).toContain('可以，3–6 个工作日送达。')
      expect((await kb.search('退款多久到账'))[0]?.source).toBe('notes.txt')
      expect(await kb.search('   ')).toEqual([])
      expect(await kb.search('refund', { limit: 1 })).toHaveLength(1)
      expect(await kb.stats()).toMatchObject({ chunks: 6, sources: 4, ingestedAt: expect.any(Date) })
    } finally {
      kb.close()
    }
  })

  it('skips an unchanged folder, and rebuilds when a file, the embedder or `force` says so', async () => {
    const folder = await temp.folder('changing', shop)
    const dataDir = join(temp.root, 'data-changing')
    const first = await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder })
    const again = await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder })
    expect(again).toMatchObject({ skipped: true, table: first.table, chunks: first.chunks })

    await writeFile(join(folder, 'shipping.md'), '# Shipping\n\nWe now also ship to Iceland, in 5–8 business days.')
    const changed = await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder })
    expect(changed.skipped).toBe(false)
    expect(changed.table).not.toBe(first.table)

    const otherEmbedder = await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder: new HashingEmbedder(128) })
    expect(otherEmbedder.skipped).toBe(false)
    expect((await readMeta(knowledgeDir(dataDir), 'shop'))).toMatchObject({ embedder: 'builtin-hash-v1:128', dimensions: 128, table: otherEmbedder.table })

    const forced = await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder: new HashingEmbedder(128), force: true })
    expect(forced.skipped).toBe(false)
    // The live generation and the one before it stay (a search may still be on it); older ones go.
    expect((await tablesOf(dataDir)).sort()).toEqual([otherEmbedder.table, forced.table].sort())
  })

  it('swaps tables under running searches without ever serving an empty or partial table', async () => {
    const folder = await temp.folder('swap', shop)
    const dataDir = join(temp.root, 'data-swap')
    await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder })
    const kb = await LanceKnowledgeBase.open({ tenant: 'shop', dataDir, embedder, settings: { limit: 4, minScore: 0 }, refreshMs: 0 })
    try {
      await writeFile(join(folder, 'extra.md'), '# Warranty\n\nEvery device has a three-year warranty.')
      let done = false
      const ingest = ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder }).finally(() => (done = true))
      const seen: number[] = []
      while (!done) seen.push((await kb.search('delivery business days')).length)
      await ingest
      expect(seen.length).toBeGreaterThan(0)
      expect(seen.every((n) => n > 0)).toBe(true)
      expect((await kb.search('three-year warranty'))[0]?.source).toBe('extra.md')
      expect((await kb.stats()).sources).toBe(5)
    } finally {
      kb.close()
    }
  })

  it('swaps the in-memory copy of a small table when another process re-ingests, and then searches only the copy', async () => {
    const folder = await temp.folder('mirror', shop)
    const dataDir = join(temp.root, 'data-mirror')
    await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder })
    const kb = await LanceKnowledgeBase.open({ tenant: 'shop', dataDir, embedder, settings: { limit: 4, minScore: 0.1 }, refreshMs: 0 })
    try {
      expect((await kb.search('refund card'))[0]?.source).toBe('returns/refunds.md')
      expect(await kb.search('three-year warranty device')).toEqual([])

      await writeFile(join(folder, 'returns/refunds.md'), '# Warranty\n\nEvery device has a three-year warranty.')
      const { table } = await ingestKnowledge({ tenant: 'shop', folder, dataDir, embedder })
      expect((await kb.search('three-year warranty device'))[0]?.source).toBe('returns/refunds.md')
      expect((await kb.search('refund card')).map((p) => p.text).join()).not.toContain('5 business days')

      // With the live table gone from disk, only a search answered from memory can still find it.
      const db = await lancedb.connect(knowledgeDir(dataDir))
      await db.dropTable(table)
      db.close()
      expect((await kb.search('how much is express delivery'))[0]).toMatchObject({ source: 'shipping.md', title: 'Shipping › Express' })
    } finally {
      kb.close()
    }
  })

  it('adds a vector index to large tables and still finds the right chunk through it', async () => {
    const sections = Array.from({ length: 400 }, (_, i) => `## Device ${i}\n\nDevice ${i} uses battery type B${i} and pairs with code ${1000 + i}.`)
    const folder = await temp.folder('large', { 'devices.md': `# Devices\n\n${sections.join('\n\n')}` })
    const dataDir = join(temp.root, 'data-large')
    await ingestKnowledge({ tenant: 'large', folder, dataDir, embedder, vectorIndexMinRows: 300 })
    expect(await readMeta(knowledgeDir(dataDir), 'large')).toMatchObject({ chunks: 400, vectorIndex: true })
    const kb = await LanceKnowledgeBase.open({ tenant: 'large', dataDir, embedder, settings: { limit: 3, minScore: 0 } })
    try {
      expect((await kb.search('which battery does device 123 use'))[0]?.title).toBe('Devices › Device 123')
    } finally {
      kb.close()
    }
  })
})

describe('bad input', () => {
  it('names the folder when it does not exist', async () => {
    const missing = join(temp.root, 'no-such-folder')
    await expect(ingestKnowledge({ tenant: 'shop', folder: missing, dataDir: join(temp.root, 'data-missing'), embedder })).rejects.toMatchObject({
      code: 'SB_ERR_CONFIG_NOT_FOUND',
      message: expect.stringContaining(missing),
    })
  })

  it('skips binary, unknown, empty and broken files with a reason, and caps huge ones', async () => {
    const folder = await temp.folder('messy', {
      'good.md': '# Good\n\nThis file is fine.',
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      'disguised.md': Buffer.from([0x23, 0x20, 0x48, 0x69, 0x00, 0xff, 0xfe, 0x00, 0x01]),
      'empty.txt': '  \n\n ',
      'broken.faq.yaml': 'faq: [unclosed',
      'huge.txt': `${'The start of a very long file. '.repeat(200)}\n\nTHE END THAT IS CUT OFF`,
      '.hidden/secret.md': '# Secret\n\nNot for the knowledge base.',
    })
    const log = recordingLog()
    const dataDir = join(temp.root, 'data-messy')
    const result = await ingestKnowledge({ tenant: 'messy', folder, dataDir, embedder, log, maxFileBytes: 4096 })
    const reasons = Object.fromEntries(result.skippedFiles.map((s) => [s.path, s.reason]))
    expect(reasons).toEqual({ 'logo.png': expect.stringMatching(/unsupported file type/), 'disguised.md': 'binary content', 'empty.txt': 'empty' })
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', obj: { file: 'disguised.md', reason: 'binary content' } }))
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ file: 'broken.faq.yaml' }) }))
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', obj: { file: 'huge.txt', maxFileBytes: 4096 } }))

    const kb = await LanceKnowledgeBase.open({ tenant: 'messy', dataDir, embedder, settings: { limit: 10, minScore: 0 } })
    try {
      expect(await kb.stats()).toMatchObject({ sources: 2 })
      const all = await kb.search('file start long fine secret cut off end')
      expect(new Set(all.map((p) => p.source))).toEqual(new Set(['good.md', 'huge.txt']))
      expect(all.some((p) => p.text.includes('THE END'))).toBe(false)
    } finally {
      kb.close()
    }
  })

  it('accepts an empty folder and finds nothing in it', async () => {
    const folder = await temp.folder('empty', {})
    const dataDir = join(temp.root, 'data-empty')
    expect(await ingestKnowledge({ tenant: 'empty', folder, dataDir, embedder })).toMatchObject({ chunks: 0, skipped: false })
    const kb = await LanceKnowledgeBase.open({ tenant: 'empty', dataDir, embedder, settings: { limit: 4, minScore: 0 } })
    expect(await kb.search('anything')).toEqual([])
    kb.close()
  })

  it('refuses a tenant id that could escape its table name', async () => {
    await expect(ingestKnowledge({ tenant: '../x', folder: temp.root, dataDir: temp.root, embedder })).rejects.toThrow(/invalid tenant id/)
  })
})
