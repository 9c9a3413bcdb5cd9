import { join } from 'node:path'
import { container } from 'tsyringe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Metrics } from '../../core/observability/metrics.js'
import { agentContext } from '../../test/kit/activities.js'
import { LlmToken, LlmUnavailableError, type LlmService } from '../llm/types.js'
import * as lancedb from './lance.js'
import { HashingEmbedder } from './embedder.js'
import knowledge from './index.js'
import { KnowledgeConfig } from './manifest.js'
import { knowledgeDir } from './store.js'
import { tempRoot } from './test-folders.js'
import { KnowledgeToken } from './types.js'

let temp: Awaited<ReturnType<typeof tempRoot>>
beforeAll(async () => {
  temp = await tempRoot()
  await temp.folder('config/knowledge/alpha', {
    'plans.md': '# Plans\n\n## Gold\n\nThe Gold plan costs €12 a month and includes phone support.',
    'pricing.zh.md': '# 价格\n\n黄金套餐每月 12 欧元，包含电话客服。',
  })
  await temp.folder('config/knowledge/beta', {
    'plans.md': '# Plans\n\n## Silver\n\nThe Silver plan costs €7 a month and includes chat support.',
    'pricing.zh.md': '# 价格\n\n白银套餐每月 7 欧元，包含在线客服。',
  })
})
afterAll(() => temp.cleanup())

const paths = () => ({ config: join(temp.root, 'config'), data: join(temp.root, 'data') })

async function start(tenant: string, config: Partial<KnowledgeConfig> = {}, options: { metrics?: Metrics; llm?: LlmService } = {}) {
  const scoped = container.createChildContainer()
  if (options.llm) scoped.register(LlmToken, { useValue: options.llm })
  const ctx = agentContext(KnowledgeConfig.parse(config), { tenant, id: 'kb', container: scoped, paths: paths(), ...(options.metrics ? { metrics: options.metrics } : {}) })
  const hooks = await knowledge.setup(ctx)
  return { hooks, kb: scoped.resolve(KnowledgeToken), scope: ctx.scope }
}

describe('the knowledge plugin', () => {
  it('ingests knowledge/<tenant> at setup, provides the knowledge base and times every search', async () => {
    const metrics = new Metrics({ defaultMetrics: false })
    const { hooks, kb, scope } = await start('alpha', {}, { metrics })
    expect(hooks).toEqual({})
    const [gold] = await kb.search('how much is the gold plan')
    expect(gold).toMatchObject({ source: 'plans.md', title: 'Plans › Gold' })
    expect((await kb.search('黄金套餐多少钱'))[0]?.source).toBe('pricing.zh.md')
    expect(await metrics.registry.getSingleMetricAsString('switchboard_knowledge_search_duration_seconds')).toMatch(/_count\{tenant="alpha"\} 2/)
    await scope.dispose()
    expect(scope.size).toBe(0)
  })

  it('keeps tenants apart: concurrent setups, separate tables, each search sees only its own tenant', async () => {
    const [alpha, beta] = await Promise.all([start('alpha'), start('beta')])
    try {
      const db = await lancedb.connect(knowledgeDir(paths().data))
      const tables = await db.tableNames()
      db.close()
      expect(tables.some((t) => t.startsWith('kb_alpha.'))).toBe(true)
      expect(tables.some((t) => t.startsWith('kb_beta.'))).toBe(true)

      for (const query of ['gold plan phone support', 'silver plan chat support', '套餐每月多少钱', '白银套餐', '黄金套餐']) {
        const a = await alpha.kb.search(query, { limit: 10 })
        const b = await beta.kb.search(query, { limit: 10 })
        expect(a.every((p) => !/Silver|白银/.test(p.text))).toBe(true)
        expect(b.every((p) => !/Gold|黄金/.test(p.text))).toBe(true)
      }
      expect((await beta.kb.search('silver plan'))[0]?.text).toContain('€7')
      expect(await alpha.kb.stats()).toMatchObject({ chunks: 2, sources: 2 })
    } finally {
      await Promise.all([alpha.scope.dispose(), beta.scope.dispose()])
    }
  })

  it('starts a tenant whose articles are not written yet with an empty knowledge base, saying where it looked', async () => {
    const warnings: string[] = []
    const scoped = container.createChildContainer()
    const ctx = agentContext(KnowledgeConfig.parse({}), { tenant: 'gamma', id: 'kb', container: scoped, paths: paths() })
    const log = Object.create(ctx.log, { warn: { value: (_obj: unknown, message: string) => warnings.push(message) } })
    await knowledge.setup({ ...ctx, log })
    const kb = scoped.resolve(KnowledgeToken)
    expect(await kb.search('gold plan')).toEqual([])
    expect(await kb.stats()).toMatchObject({ chunks: 0 })
    expect(warnings.join('\n')).toContain(join(temp.root, 'config', 'knowledge', 'gamma'))
    await ctx.scope.dispose()
  })

  it('answers a repeated question from memory, without letting a caller change what it remembers', async () => {
    const { kb, scope } = await start('alpha')
    const first = await kb.search('how much is the gold plan')
    first[0]!.text = 'tampered'
    const again = await kb.search('How much is the  GOLD plan')
    expect(again[0]).toMatchObject({ source: 'plans.md', title: 'Plans › Gold' })
    expect(again[0]!.text).not.toBe('tampered')
    await scope.dispose()
  })

  it('keeps a tenant’s folder inside the config folder', () => {
    for (const folder of ['../globex/knowledge', '/etc', 'knowledge/../../secrets']) {
      const parsed = KnowledgeConfig.safeParse({ folder })
      expect(parsed.success, folder).toBe(false)
      expect(parsed.error?.issues[0]).toMatchObject({ path: ['folder'], message: expect.stringContaining('inside the config folder') })
    }
    expect(KnowledgeConfig.safeParse({ folder: 'knowledge/acme-support' }).success).toBe(true)
  })

  it('refuses embedder "llm" without an llm plugin', async () => {
    await expect(start('alpha', { embedder: 'llm' })).rejects.toThrow(/needs an llm plugin listed above the knowledge plugin/)
  })

  it('embeds with the llm plugin when asked, and falls back to full text when embedding fails', async () => {
    const hashing = new HashingEmbedder(64)
    let down = false
    const llm: LlmService = {
      provider: 'openai',
      model: 'fake',
      embeddingDimensions: undefined,
      chat: () => Promise.reject(new Error('not used')),
      budgetRemaining: () => Promise.resolve(undefined),
      embed: async (texts) => {
        if (down) throw new LlmUnavailableError('breaker_open', 'embeddings are down')
        return (await hashing.embed(texts)).map((v) => [...v])
      },
    }
    const { kb, scope } = await start('alpha', { embedder: 'llm' }, { llm })
    try {
      expect((await kb.search('gold plan'))[0]?.source).toBe('plans.md')
      down = true
      expect((await kb.search('gold plan phone support'))[0]?.source).toBe('plans.md')
    } finally {
      await scope.dispose()
    }
    // Down at start too: the tenant still starts, on the stored table, by full text.
    const restarted = await start('alpha', { embedder: 'llm' }, { llm })
    try {
      expect((await restarted.kb.search('gold plan phone support'))[0]?.source).toBe('plans.md')
    } finally {
      await restarted.scope.dispose()
    }
  })
})

describe('KnowledgeConfig', () => {
  it('fills defaults, including the nested chunk options', () => {
    expect(KnowledgeConfig.parse({})).toEqual({ embedder: 'builtin', chunk: { maxChars: 800, overlapChars: 120 }, limit: 4, minScore: 0.15, maxFileBytes: 2_000_000, memoryMaxChunks: 5_000 })
    expect(KnowledgeConfig.safeParse({ chunk: { maxChars: 300, overlapChars: 200 } }).success).toBe(false)
  })
})
