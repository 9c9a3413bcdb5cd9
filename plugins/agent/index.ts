import { Tokens, defineAgent, type Reply, type Turn } from '../../core/index.js'
import type { InjectionToken } from 'tsyringe'
import { IntentClassifierToken } from '../intent/types.js'
import { KnowledgeToken } from '../knowledge/types.js'
import { LlmToken } from '../llm/types.js'
import { manifest } from './manifest.js'
import { annotate, toReply } from './outcome.js'

export default defineAgent({
  manifest,
  async setup(ctx) {
    const { config, container } = ctx
    // LangGraph loads at set-up, not when the plugin list is read (a CLI command, a config check).
    const [{ acquireCheckpointer }, { buildAgentGraph }] = await Promise.all([import('./checkpointer.js'), import('./graph.js')])
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
    const services = { config, knowledge, llm, classifier }
    const graph = buildAgentGraph(services, (id) => running.get(id), checkpointer.saver)
    // The same graph without memory, for when the checkpointer's database is unreachable.
    const forgetful = buildAgentGraph(services, (id) => running.get(id))

    return {
      async respond(turn): Promise<Reply | undefined> {
        const text = turn.activity.text.trim()
        // Pictures, locations and the like: a later plugin (or a human) deals with those.
        if (!text) return undefined
        const input = { text, language: null, intent: null, sentiment: null, escalation: null, decision: null, passages: null, answer: null }
        const thread = `${turn.tenant}:${turn.conversation.id}`
        // The checkpoint the last *committed* turn left: a turn that ran but never committed (a
        // crash, a failed commit; it reruns) must not leave its exchange in the history.
        const memory = turn.memory.agent as AgentMemory | undefined
        const configurable = { thread_id: thread, turn_id: turn.id, ...(memory?.checkpoint ? { checkpoint_id: memory.checkpoint } : {}) }
        running.set(turn.id, turn)
        try {
          let state
          try {
            // Checkpoints are written once per turn, at its end: history is all the graph keeps.
            state = await graph.invoke(input, { configurable, signal: turn.signal, durability: 'exit' })
            // The checkpoint this run just wrote (one read of the saver, not a whole graph state).
            const saved = await checkpointer.saver.getTuple({ configurable: { thread_id: thread, checkpoint_ns: '' } })
            const checkpoint = saved?.config.configurable?.checkpoint_id as string | undefined
            if (checkpoint) turn.memory.agent = { checkpoint } satisfies AgentMemory
          } catch (error) {
            if (turn.signal.aborted) throw error
            ctx.log.warn({ err: error }, 'conversation memory unavailable; answering without history')
            state = await forgetful.invoke(input, { configurable: { turn_id: turn.id }, signal: turn.signal })
          }
          annotate(turn, state, ctx)
          return toReply(state)
        } finally {
          running.delete(turn.id)
        }
      },
    }
  },
})

interface AgentMemory {
  checkpoint: string
}
