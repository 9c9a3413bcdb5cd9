import { Tokens, defineAgent, type Reply, type Turn } from '../../core/index.js'
import type { InjectionToken } from 'tsyringe'
import { IntentClassifierToken } from '../intent/types.js'
import { KnowledgeToken } from '../knowledge/types.js'
import { LlmToken } from '../llm/types.js'
import { acquireCheckpointer } from './checkpointer.js'
import { buildAgentGraph } from './graph.js'
import { manifest } from './manifest.js'
import { annotate, toReply } from './outcome.js'

export default defineAgent({
  manifest,
  async setup(ctx) {
    const { config, container } = ctx
    // Services of plugins listed above this one; each is optional except the LLM for provider openai.
    const optional = <T>(token: InjectionToken<T>): T | undefined => (container.isRegistered(token, true) ? container.resolve(token) : undefined)
    const llm = optional(LlmToken)
    if (config.provider === 'openai' && !llm) throw new Error('provider "openai" needs an llm plugin listed above the agent')
    const knowledge = optional(KnowledgeToken)
    if (!knowledge) ctx.log.warn('no knowledge plugin listed above the agent: answers come from intent templates only')
    const classifier = optional(IntentClassifierToken)

    const checkpointer = await acquireCheckpointer(container.resolve(Tokens.GatewayConfig).storage.databaseUrl)
    ctx.scope.onDispose(() => checkpointer.release(), 'agent checkpointer')
    const running = new Map<string, Turn>()
    const graph = buildAgentGraph({ config, knowledge, llm, classifier }, (id) => running.get(id), checkpointer.saver)

    return {
      async respond(turn): Promise<Reply | undefined> {
        const text = turn.activity.text.trim()
        // Pictures, locations and the like: a later plugin (or a human) deals with those.
        if (!text) return undefined
        running.set(turn.id, turn)
        try {
          const state = await graph.invoke(
            { text, language: null, intent: null, sentiment: null, escalation: null, decision: null, passages: null, answer: null },
            // Checkpoints are written once per turn, at its end: history is all the graph keeps.
            { configurable: { thread_id: `${turn.tenant}:${turn.conversation.id}`, turn_id: turn.id }, signal: turn.signal, durability: 'exit' },
          )
          annotate(turn, state, ctx)
          return toReply(state)
        } finally {
          running.delete(turn.id)
        }
      },
    }
  },
})
