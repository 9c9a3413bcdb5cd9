import { Annotation } from '@langchain/langgraph'
import type { Escalation, Part } from '../../core/index.js'
import type { IntentResult } from '../intent/types.js'
import type { Passage } from '../knowledge/types.js'
import type { ChatMessage, LlmFailure, TokenUsage } from '../llm/types.js'
import type { SentimentResult } from '../sentiment/types.js'
import type { Language } from './language.js'
import type { Route } from './route.js'

export interface Answer {
  parts: Part[]
  provider: 'builtin' | 'openai'
  /** Backed by the passages (or needing none: a greeting, a handoff). */
  grounded: boolean
  sources: Passage[]
  tokens?: TokenUsage
  /** Why the LLM was not used although configured. */
  llmFailure?: LlmFailure
  handoff?: boolean
  /** The LLM's answer failed the grounding check and was replaced. */
  ungrounded?: boolean
}

/** Last value wins, and a turn that does not set it gets `null` rather than the last turn's. */
const perTurn = <T>() => Annotation<T | null>({ reducer: (_old, next) => next, default: () => null })

/**
 * The graph's state. `history` and `lastRoute` persist across turns through the checkpointer;
 * everything else is reset by each turn's input.
 */
export const agentState = (historyMessages: number) =>
  Annotation.Root({
    history: Annotation<ChatMessage[]>({
      reducer: (old, added) => [...old, ...added].slice(-historyMessages || old.length + added.length),
      default: () => [],
    }),
    lastRoute: Annotation<Route | null>({ reducer: (_old, next) => next, default: () => null }),
    text: perTurn<string>(),
    language: perTurn<Language>(),
    intent: perTurn<IntentResult>(),
    sentiment: perTurn<SentimentResult>(),
    escalation: perTurn<Escalation>(),
    decision: perTurn<Route>(),
    passages: perTurn<Passage[]>(),
    answer: perTurn<Answer>(),
  })

export type AgentStateSpec = ReturnType<typeof agentState>
export type AgentState = AgentStateSpec['State']
export type AgentUpdate = AgentStateSpec['Update']
