import { END, START, StateGraph, type BaseCheckpointSaver, type LangGraphRunnableConfig } from '@langchain/langgraph'
import type { Part, Turn } from '../../core/index.js'
import type { IntentClassifier } from '../intent/types.js'
import type { KnowledgeBase } from '../knowledge/types.js'
import { LlmUnavailableError, type LlmService } from '../llm/types.js'
import { composeFromPassages, fallbackAnswer, humanOffer, preferLanguage } from './compose.js'
import { checkGrounding } from './grounding.js'
import { replyLanguage, type Language } from './language.js'
import type { AgentConfig } from './manifest.js'
import { phrases, suggestions } from './phrases.js'
import { buildPrompt } from './prompt.js'
import { decideRoute } from './route.js'
import { agentState, type Answer, type AgentState, type AgentUpdate } from './state.js'

export interface AgentServices {
  config: AgentConfig
  knowledge?: KnowledgeBase
  llm?: LlmService
  classifier?: IntentClassifier
}

/** The turn a graph run belongs to; passed by id because checkpoint metadata must stay plain data. */
export type TurnLookup = (id: string) => Turn | undefined

/** Left of the turn's deadline after the LLM: the check, the checkpoint and the commit need it. */
const ANSWER_RESERVE_MS = 1_000

const turnOf = (config: LangGraphRunnableConfig, lookup: TurnLookup): Turn => {
  const turn = lookup(config.configurable?.turn_id as string)
  if (!turn) throw new Error('agent graph run without its turn')
  return turn
}

/**
 * understand ─route─▶ reply (a human, small talk, a question back)
 *                  └─▶ retrieve → generate → check
 * Every node is total: a failing knowledge base or LLM degrades the answer, never the turn.
 */
export function buildAgentGraph(services: AgentServices, lookup: TurnLookup, checkpointer?: BaseCheckpointSaver) {
  const { config, knowledge, llm, classifier } = services
  const State = agentState(config.historyMessages)

  /** Reads the turn as the classifiers left it, and decides where it goes (the route). */
  const understand = (state: AgentState, run: LangGraphRunnableConfig): AgentUpdate => {
    const turn = turnOf(run, lookup)
    // The intent and sentiment plugins, listed earlier, have usually classified already.
    const intent = turn.state.intent ?? (classifier && turn.activity.text ? classifier.classify(turn.activity.text) : null)
    const escalation = turn.state.escalate ?? null
    const decision = decideRoute({ text: state.text ?? '', intent, escalate: escalation, clarifyBelow: config.clarifyBelow })
    return { intent, sentiment: turn.state.sentiment ?? null, escalation, language: replyLanguage(turn), decision }
  }

  const route = (state: AgentState) => (state.decision === 'knowledge' ? 'retrieve' : 'reply')

  /** Answers that need no knowledge: a handoff, a pleasantry, a question back. */
  const reply = (state: AgentState): AgentUpdate => {
    const language = state.language ?? 'en'
    const chat = (parts: Part[], extra: Partial<Answer> = {}): AgentUpdate => remembered(state, { parts, provider: 'builtin', grounded: true, sources: [], ...extra })
    if (state.decision === 'escalate') {
      const again = state.lastRoute === 'escalate'
      const asked = state.intent?.name === 'human_agent' || state.escalation?.reason === 'asked_for_human'
      const text = again ? phrases.stillEscalated[language] : asked ? phrases.escalateHuman[language] : phrases.escalate[language]
      return chat([{ type: 'text', text }], { handoff: true })
    }
    if (state.decision === 'clarify') return chat([topics(phrases.clarify[language], language)])
    if (state.intent?.name === 'goodbye') {
      const thanks = /thank|thx|谢/i.test(state.text ?? '')
      return chat([{ type: 'text', text: thanks ? phrases.thanks[language] : phrases.goodbye[language] }])
    }
    // A greeting is the moment to show what the bot can do.
    return chat([topics(phrases.greeting[language], language)])
  }

  const retrieve = async (state: AgentState, run: LangGraphRunnableConfig): Promise<AgentUpdate> => {
    if (!knowledge || !state.text) return { passages: [] }
    const turn = turnOf(run, lookup)
    try {
      const found = await knowledge.search(state.text, { limit: config.passages * 2, signal: turn.signal })
      const relevant = found.filter((p) => p.score >= config.minPassageScore)
      return { passages: preferLanguage(relevant, state.language ?? 'en', config.passages) }
    } catch (error) {
      turn.log.warn({ err: error }, 'knowledge search failed; answering without it')
      return { passages: [] }
    }
  }

  const builtinAnswer = (state: AgentState): Answer => {
    const language = state.language ?? 'en'
    const passages = state.passages ?? []
    if (passages.length === 0) return { parts: fallbackAnswer(state.intent?.name, language), provider: 'builtin', grounded: false, sources: [] }
    const { text, used } = composeFromPassages(state.text ?? '', passages, state.intent?.name, language)
    return { parts: [{ type: 'text', text }], provider: 'builtin', grounded: true, sources: used }
  }

  const generate = async (state: AgentState, run: LangGraphRunnableConfig): Promise<AgentUpdate> => {
    if (config.provider === 'builtin' || !llm) return { answer: builtinAnswer(state) }
    const turn = turnOf(run, lookup)
    const passages = state.passages ?? []
    // Nothing to ground an answer in: the LLM could only guess, and guessing costs tokens.
    if (passages.length === 0) return { answer: builtinAnswer(state) }
    const messages = buildPrompt({
      name: config.name,
      instructions: config.instructions,
      language: state.language ?? 'en',
      intent: state.intent?.name,
      passages,
      history: state.history,
      question: state.text ?? '',
    })
    const stream = config.stream ? turn.stream : undefined
    try {
      const result = await llm.chat(messages, { purpose: 'agent', signal: turn.signal, deadline: turn.deadline - ANSWER_RESERVE_MS, ...(stream ? { onToken: stream } : {}) })
      return { answer: { parts: [{ type: 'text', text: result.text.trim() }], provider: 'openai', grounded: true, sources: passages, tokens: result.tokens } }
    } catch (error) {
      if (!(error instanceof LlmUnavailableError)) throw error
      turn.log.warn({ reason: error.reason }, 'LLM unavailable; falling back')
      if (config.fallback === 'human') {
        const language = state.language ?? 'en'
        return { answer: { parts: [{ type: 'text', text: phrases.escalate[language] }], provider: 'builtin', grounded: true, sources: [], handoff: true, llmFailure: error.reason } }
      }
      return { answer: { ...builtinAnswer(state), llmFailure: error.reason } }
    }
  }

  /** LLM answers must be backed by the passages; otherwise the quoted answer (or a human) replaces them. */
  const check = (state: AgentState): AgentUpdate => {
    const answer = state.answer!
    if (answer.provider !== 'openai') return remembered(state, answer)
    const text = answer.parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n')
    const grounding = checkGrounding(text, state.passages ?? [], state.text ?? '')
    if (grounding.grounded) return remembered(state, answer)
    // Say so, and offer a human: quoting the passages is still better than nothing.
    const replacement = builtinAnswer(state)
    const language = state.language ?? 'en'
    const parts = replacement.grounded ? [...replacement.parts, humanOffer(phrases.unsure[language], language)] : [humanOffer(phrases.notFound[language], language)]
    return remembered(state, { ...replacement, parts, grounded: false, ungrounded: true, ...(answer.tokens ? { tokens: answer.tokens } : {}) })
  }

  // Few nodes on purpose: each costs LangGraph a task, a config merge and a channel write per turn.
  return new StateGraph(State)
    .addNode('understand', understand)
    .addNode('reply', reply)
    .addNode('retrieve', retrieve)
    .addNode('generate', generate)
    .addNode('check', check)
    .addEdge(START, 'understand')
    .addConditionalEdges('understand', route, ['reply', 'retrieve'])
    .addEdge('retrieve', 'generate')
    .addEdge('generate', 'check')
    .addEdge('check', END)
    .addEdge('reply', END)
    .compile(checkpointer ? { checkpointer } : {})
}

/** The turn's final answer, and what the conversation keeps of it for the next turn. */
function remembered(state: AgentState, answer: Answer): AgentUpdate {
  const said = answer.parts.map((p) => (p.type === 'text' || p.type === 'choice' ? p.text : '')).join('\n')
  return {
    answer,
    history: [
      { role: 'user', content: state.text ?? '' },
      { role: 'assistant', content: said },
    ],
    lastRoute: state.decision,
  }
}

const topics = (text: string, language: Language): Part => ({
  type: 'choice',
  text,
  options: suggestions.map((s) => ({ title: s.title[language], value: s.value[language] })),
})
