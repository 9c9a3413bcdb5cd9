import type { AgentContext, Reply, Turn } from '../../core/index.js'
import type { AgentConfig } from './manifest.js'
import type { AgentState } from './state.js'

/**
 * Records what the agent decided on the turn (the transcript row, the admin API) and in metrics,
 * and flags the turn for a human when it routed there.
 */
export function annotate(turn: Turn, state: AgentState, ctx: AgentContext<AgentConfig>): void {
  const answer = state.answer!
  const a = turn.annotations
  if (state.intent && a.intent === undefined) {
    a.intent = state.intent.name
    a.confidence = Math.round(state.intent.confidence * 100) / 100
    a.intentSource = state.intent.source
  }
  a.route = state.decision
  a.provider = answer.provider
  a.grounded = answer.grounded
  a.sources = answer.sources.map((p) => ({ source: p.source, ...(p.title ? { title: p.title } : {}), score: Math.round(p.score * 1000) / 1000 }))
  if (answer.tokens) a.tokens = answer.tokens
  if (answer.llmFailure) a.llmFallback = answer.llmFailure
  if (answer.ungrounded) a.ungrounded = true
  if (answer.handoff) {
    const reason = state.escalation?.reason ?? (answer.llmFailure ? `llm_${answer.llmFailure}` : 'asked_for_human')
    if (!turn.state.escalate) {
      turn.state.escalate = { reason, by: ctx.id }
      ctx.metrics.escalations.inc({ tenant: ctx.tenant, reason })
    }
    a.escalate = true
    a.escalateReason ??= reason
  }
  const provider = answer.llmFailure ? 'builtin_fallback' : answer.ungrounded ? 'openai_ungrounded' : answer.provider
  ctx.metrics.agentAnswers.inc({ tenant: ctx.tenant, route: state.decision ?? 'none', provider })
}

export function toReply(state: AgentState): Reply {
  const answer = state.answer!
  const expecting = answer.parts.some((p) => p.type === 'choice')
  return { parts: answer.parts, ...(answer.handoff ? { handoff: true } : {}), ...(expecting ? { inputHint: 'expecting' as const } : {}) }
}
