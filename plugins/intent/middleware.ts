import type { AgentContext, Turn, TurnMiddleware } from '../../core/index.js'
import { LlmToken } from '../llm/types.js'
import type { BuiltinIntentClassifier } from './classifier.js'
import { askLlm } from './fallback.js'
import type { IntentConfig } from './manifest.js'
import type { IntentResult } from './types.js'

/** Classifies each inbound message, records it, and flags a human hand-off when one is asked for. */
export function intentMiddleware(ctx: AgentContext<IntentConfig>, classifier: BuiltinIntentClassifier): TurnMiddleware {
  const { config } = ctx
  const names = classifier.names
  const examples = new Map(config.intents.map((i) => [i.name, i.examples]))

  const classify = async (turn: Turn): Promise<IntentResult> => {
    const builtin = classifier.classify(turn.activity.text)
    if (!config.llm.enabled || builtin.confidence >= config.llm.below) return builtin
    // Looked up per turn: the llm plugin may sit later in the tenant's list, or not exist at all.
    if (!ctx.container.isRegistered(LlmToken, true)) return builtin
    return askLlm(ctx.container.resolve(LlmToken), turn, builtin, names, examples, config.llm.below)
  }

  return async (turn, next) => {
    if (turn.activity.text.trim()) {
      const intent = await classify(turn)
      turn.state.intent = intent
      const low = intent.confidence < config.minConfidence
      turn.annotations.intent = intent.name
      turn.annotations.confidence = Math.round(intent.confidence * 100) / 100
      turn.annotations.intentSource = intent.source
      if (low) turn.annotations.lowConfidence = true
      ctx.metrics.intents.inc({ tenant: ctx.tenant, intent: intent.name, source: intent.source })
      // A guess is not a request: only a confident human_agent hands the conversation over.
      if (intent.name === 'human_agent' && !low && !turn.state.escalate) {
        turn.state.escalate = { reason: 'asked_for_human', by: ctx.id }
        turn.annotations.escalate = true
        turn.annotations.escalateReason = 'asked_for_human'
        ctx.metrics.escalations.inc({ tenant: ctx.tenant, reason: 'asked_for_human' })
      }
    }
    await next()
  }
}
