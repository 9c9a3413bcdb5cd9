import type { AgentContext, TurnMiddleware } from '../../core/index.js'
import { escalationStep, readMemory } from './escalation.js'
import type { SentimentConfig } from './manifest.js'
import type { SentimentScorer } from './scorer.js'
import type { SentimentLabel, SentimentResult } from './types.js'

/** The memory key this plugin owns. */
export const MEMORY_KEY = 'sentiment'

/** Scores each inbound message, tracks the conversation's mood and flags it for a human when it sours. */
export function sentimentMiddleware(ctx: AgentContext<SentimentConfig>, scorer: SentimentScorer): TurnMiddleware {
  const { thresholds, escalation } = ctx.config
  const labelOf = (score: number): SentimentLabel => (score <= thresholds.negative ? 'negative' : score >= thresholds.positive ? 'positive' : 'neutral')

  return async (turn, next) => {
    const text = turn.activity.text
    if (text.trim()) {
      const score = scorer.score(text)
      const result: SentimentResult = { label: labelOf(score), score }
      turn.state.sentiment = result
      turn.annotations.sentiment = result.label
      turn.annotations.sentimentScore = Math.round(score * 100) / 100
      ctx.metrics.sentiments.inc({ tenant: ctx.tenant, label: result.label })

      if (escalation.enabled) {
        const step = escalationStep(readMemory(turn.memory[MEMORY_KEY]), { ...result, intent: turn.state.intent?.name }, escalation)
        turn.memory[MEMORY_KEY] = step.memory
        if (step.started) ctx.metrics.escalations.inc({ tenant: ctx.tenant, reason: step.reason! })
        // Another plugin's reason (the customer asked for a human) is more specific than ours: keep it.
        if (step.reason && !turn.state.escalate) {
          turn.state.escalate = { reason: step.reason, by: ctx.id }
          turn.annotations.escalate = true
          turn.annotations.escalateReason = step.reason
        }
        if (step.reason || step.ended) turn.log.debug({ reason: step.reason, started: step.started, ended: step.ended }, 'sentiment escalation')
      }
    }
    await next()
  }
}
