import { isSwitchboardError, type AgentContext } from '../../core/index.js'
import { createEmbedder, type Embedder } from './embedder.js'
import { knowledgeFolder } from './folder.js'
import { ingestKnowledge } from './ingest.js'
import { LanceKnowledgeBase } from './knowledge-base.js'
import type { KnowledgeConfig } from './manifest.js'
import { KnowledgeToken } from './types.js'
import { LlmUnavailableError } from '../llm/types.js'

const llmDown = (error: unknown): boolean => error instanceof LlmUnavailableError || (error instanceof Error && error.cause instanceof LlmUnavailableError)

/** Stands in for an LLM embedder that could not start: its id matches no table, so vectors are off. */
const offlineEmbedder: Embedder = {
  id: 'llm:unavailable',
  dimensions: 0,
  embed: () => Promise.reject(new LlmUnavailableError('error', 'the llm embedder did not start')),
}

/** Builds (or refreshes) the tenant's knowledge base and provides it to the plugins below. */
export async function setupKnowledge({ tenant, config, paths, log, scope, container, metrics }: AgentContext<KnowledgeConfig>) {
  // An LLM that is down at start must not keep the tenant (or the gateway) from starting: the
  // stored table is searched by full text until the next start or reload embeds again.
  const embedder = await createEmbedder(config.embedder, container).catch((error: unknown) => {
    if (!llmDown(error)) throw error
    log.warn({ err: error }, 'the llm embedder is unavailable: searching the stored knowledge base by full text only')
    return offlineEmbedder
  })
  const folder = knowledgeFolder(paths.config, tenant, config.folder)
  try {
    if (embedder !== offlineEmbedder) {
      await ingestKnowledge({ tenant, folder, dataDir: paths.data, embedder, chunk: config.chunk, maxFileBytes: config.maxFileBytes, log, signal: scope.signal })
    }
  } catch (error) {
    if (llmDown(error)) {
      log.warn({ err: error }, 'the knowledge folder changed but could not be embedded (llm unavailable): serving the previous knowledge base')
    } else if (isSwitchboardError(error) && error.code === 'SB_ERR_CONFIG_NOT_FOUND') {
      // A tenant whose articles are not written yet still serves: the agent says it does not
      // know and offers a human, rather than the whole tenant failing to start.
      log.warn({ folder }, `knowledge folder ${folder} does not exist: the knowledge base stays as it is (empty if never ingested)`)
    } else {
      throw error
    }
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
}
