import { defineAgent, isSwitchboardError } from '../../core/index.js'
import { kbCommand } from './cli.js'
import { createEmbedder } from './embedder.js'
import { knowledgeFolder } from './folder.js'
import { ingestKnowledge } from './ingest.js'
import { LanceKnowledgeBase } from './knowledge-base.js'
import { manifest } from './manifest.js'
import { KnowledgeToken } from './types.js'

export default defineAgent({
  manifest,
  async setup({ tenant, config, paths, log, scope, container, metrics }) {
    const embedder = await createEmbedder(config.embedder, container)
    const folder = knowledgeFolder(paths.config, tenant, config.folder)
    try {
      await ingestKnowledge({ tenant, folder, dataDir: paths.data, embedder, chunk: config.chunk, maxFileBytes: config.maxFileBytes, log, signal: scope.signal })
    } catch (error) {
      // A tenant whose articles are not written yet still serves: the agent says it does not know
      // and offers a human, rather than the whole tenant failing to start.
      if (!(isSwitchboardError(error) && error.code === 'SB_ERR_CONFIG_NOT_FOUND')) throw error
      log.warn({ folder }, `knowledge folder ${folder} does not exist: the knowledge base stays as it is (empty if never ingested)`)
    }
    const kb = await LanceKnowledgeBase.open({
      tenant,
      dataDir: paths.data,
      embedder,
      settings: { limit: config.limit, minScore: config.minScore, memoryMaxChunks: config.memoryMaxChunks },
      log,
      observe: (seconds) => metrics.knowledgeSearchDuration.observe({ tenant }, seconds),
    })
    scope.onDispose(() => kb.close(), 'knowledge base')
    container.register(KnowledgeToken, { useValue: kb })
    return {}
  },
  commands: { kb: kbCommand },
})

export { knowledgeFolder } from './folder.js'

export { ingestKnowledge, type IngestOptions, type IngestResult } from './ingest.js'
export { HashingEmbedder, LlmEmbedder, createEmbedder, type Embedder } from './embedder.js'
export { LanceKnowledgeBase } from './knowledge-base.js'
export { KnowledgeConfig } from './manifest.js'
