import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HashingEmbedder } from './embedder.js'
import { ingestKnowledge } from './ingest.js'
import { LanceKnowledgeBase } from './knowledge-base.js'
import { KnowledgeConfig } from './manifest.js'
import { tempRoot } from './test-folders.js'

/**
 * The demo shop's knowledge base against labelled questions, searched with the plugin's default
 * settings: once from the in-memory mirror (the demo is small) and once in LanceDB, since a tenant
 * whose knowledge base grows past memoryMaxChunks moves from one to the other and must not get
 * worse answers for it.
 */

const demoFolder = join(import.meta.dirname, '../../config/knowledge/demo')
const labelled = join(import.meta.dirname, '../../test/fixtures/knowledge/queries.jsonl')

let temp: Awaited<ReturnType<typeof tempRoot>>
const kbs: Record<'memory' | 'lancedb', LanceKnowledgeBase> = {} as never
let cases: { query: string; source: string }[]
beforeAll(async () => {
  temp = await tempRoot()
  const embedder = new HashingEmbedder()
  const defaults = KnowledgeConfig.parse({})
  await ingestKnowledge({ tenant: 'demo', folder: demoFolder, dataDir: temp.root, embedder, chunk: defaults.chunk })
  const open = (memoryMaxChunks: number) =>
    LanceKnowledgeBase.open({ tenant: 'demo', dataDir: temp.root, embedder, settings: { limit: defaults.limit, minScore: defaults.minScore, memoryMaxChunks } })
  kbs.memory = await open(defaults.memoryMaxChunks)
  kbs.lancedb = await open(0)
  cases = (await readFile(labelled, 'utf8'))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { query: string; source: string })
})
afterAll(async () => {
  kbs.memory?.close()
  kbs.lancedb?.close()
  await temp?.cleanup()
})

describe.each(['memory', 'lancedb'] as const)('search quality on the demo knowledge base, searched in %s', (path) => {
  it('finds the expected file in the top 3 for at least 90% of the labelled questions (Chinese and English)', async () => {
    const kb = kbs[path]
    expect(cases.length).toBeGreaterThanOrEqual(30)
    const misses: string[] = []
    let first = 0
    for (const { query, source } of cases) {
      const top = (await kb.search(query, { limit: 3 })).map((p) => p.source)
      if (top[0] === source) first++
      if (!top.includes(source)) misses.push(`${query} → expected ${source}, got [${top.join(', ')}]`)
    }
    const recall = (cases.length - misses.length) / cases.length
    console.log(`knowledge recall@3 (${path}) = ${recall.toFixed(3)} (${cases.length - misses.length}/${cases.length}), top-1 = ${(first / cases.length).toFixed(3)}${misses.length ? `\n  misses:\n  ${misses.join('\n  ')}` : ''}`)
    expect(recall).toBeGreaterThanOrEqual(0.9)
  })

  it('answers the three questions the demo is shown with from the right chunk first', async () => {
    const kb = kbs[path]
    const [pricing] = await kb.search('我想了解你们的产品价格')
    expect(pricing).toMatchObject({ source: 'pricing.zh.md', title: expect.stringContaining('产品价格') })
    const [login] = await kb.search('我的账号登录不了')
    expect(login).toMatchObject({ source: 'account.zh.md', title: '账号帮助 › 账号登录不了怎么办' })
    const [pro] = await kb.search('how much is the Pro plan')
    expect(pro).toMatchObject({ source: 'plans.md', title: 'Subscription plans (Demo Cloud) › Pro' })
    expect(pro!.text).toContain('€9.99 per month')
  })

  it('returns nothing, or nothing confident, for questions the shop cannot answer', async () => {
    const kb = kbs[path]
    for (const query of ['what is the weather in Paris', '给我讲个笑话', 'asdfgh']) {
      expect(await kb.search(query)).toEqual([])
    }
  })
})

describe('memory and LanceDB search', () => {
  it('agree on the best source for at least 90% of the labelled questions', async () => {
    const differ: string[] = []
    for (const { query } of cases) {
      const [memory] = await kbs.memory.search(query)
      const [lance] = await kbs.lancedb.search(query)
      if (memory?.source !== lance?.source) differ.push(`${query} → memory ${memory?.source}, lancedb ${lance?.source}`)
    }
    const agreement = (cases.length - differ.length) / cases.length
    console.log(`top-1 source agreement, memory vs lancedb = ${agreement.toFixed(3)}${differ.length ? `\n  ${differ.join('\n  ')}` : ''}`)
    expect(agreement).toBeGreaterThanOrEqual(0.9)
  })
})
