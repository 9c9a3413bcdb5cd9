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

const turnOf = (config: LangGraphRunnableConfig, lookup: TurnLookup): Turn => {
  const turn = lookup(config.configurable?.turn_id as string)
  if (!turn) throw new Error('agent graph run without its turn')
  return turn
}

/**
 * understand → route → (escalate | smalltalk | clarify | retrieve → generate → check) → remember.
 * Every node is total: a failing knowledge base or LLM degrades the answer, never the turn.
 */
export function buildAgentGraph(services: AgentServices, lookup: TurnLookup, checkpointer: BaseCheckpointSaver) {
  const { config, knowledge, llm, classifier } = services
  const State = agentState(config.historyMessages)

  const understand = (state: AgentState, run: LangGraphRunnableConfig): AgentUpdate => {
    const turn = turnOf(run, lookup)
    // The intent and sentiment plugins, listed earlier, have usually classified already.
    const intent = turn.state.intent ?? (classifier && turn.activity.text ? classifier.classify(turn.activity.text) : null)
    return { intent, sentiment: turn.state.sentiment ?? null, escalation: turn.state.escalate ?? null, language: replyLanguage(turn), text: state.text }
  }

  const route = (state: AgentState): AgentUpdate => ({
    decision: decideRoute({ text: state.text ?? '', intent: state.intent, escalate: state.escalation, clarifyBelow: config.clarifyBelow }),
  })

  const escalate = (state: AgentState): AgentUpdate => {
    const language = state.language ?? 'en'
    const again = state.lastRoute === 'escalate'
    const asked = state.intent?.name === 'human_agent' || state.escalation?.reason === 'asked_for_human'
    const text = again ? phrases.stillEscalated[language] : asked ? phrases.escalateHuman[language] : phrases.escalate[language]
    return { answer: { parts: [{ type: 'text', text }], provider: 'builtin', grounded: true, sources: [], handoff: true } }
  }

  const smalltalk = (state: AgentState): AgentUpdate => {
    const language = state.language ?? 'en'
    const thanks = /thank|thx|谢/i.test(state.text ?? '')
    if (state.intent?.name === 'goodbye') {
      const text = thanks ? phrases.thanks[language] : phrases.goodbye[language]
      return { answer: { parts: [{ type: 'text', text }], provider: 'builtin', grounded: true, sources: [] } }
    }
    // A greeting is the moment to show what the bot can do.
    return { answer: { parts: [topics(phrases.greeting[language], language)], provider: 'builtin', grounded: true, sources: [] } }
  }

  const clarify = (state: AgentState): AgentUpdate => {
    const language = state.language ?? 'en'
    return { answer: { parts: [topics(phrases.clarify[language], language)], provider: 'builtin', grounded: true, sources: [] } }
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
      const result = await llm.chat(messages, { purpose: 'agent', signal: turn.signal, deadline: turn.deadline - 250, ...(stream ? { onToken: stream } : {}) })
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
    if (answer.provider !== 'openai') return {}
    const text = answer.parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n')
    const grounding = checkGrounding(text, state.passages ?? [], state.text ?? '')
    if (grounding.grounded) return {}
    // Say so, and offer a human: quoting the passages is still better than nothing.
    const replacement = builtinAnswer(state)
    const language = state.language ?? 'en'
    const parts = replacement.grounded ? [...replacement.parts, humanOffer(phrases.unsure[language], language)] : [humanOffer(phrases.notFound[language], language)]
    return { answer: { ...replacement, parts, grounded: false, ungrounded: true, ...(answer.tokens ? { tokens: answer.tokens } : {}) } }
  }

  const remember = (state: AgentState): AgentUpdate => {
    const reply = state.answer?.parts.map((p) => (p.type === 'text' || p.type === 'choice' ? p.text : '')).join('\n') ?? ''
    return {
      history: [
        { role: 'user', content: state.text ?? '' },
        { role: 'assistant', content: reply },
      ],
      lastRoute: state.decision,
    }
  }

  return new StateGraph(State)
    .addNode('understand', understand)
    .addNode('route', route)
    .addNode('escalate', escalate)
    .addNode('smalltalk', smalltalk)
    .addNode('clarify', clarify)
    .addNode('retrieve', retrieve)
    .addNode('generate', generate)
    .addNode('check', check)
    .addNode('remember', remember)
    .addEdge(START, 'understand')
    .addEdge('understand', 'route')
    .addConditionalEdges('route', (s: AgentState) => (s.decision === 'knowledge' ? 'retrieve' : s.decision!), ['escalate', 'smalltalk', 'clarify', 'retrieve'])
    .addEdge('retrieve', 'generate')
    .addEdge('generate', 'check')
    .addEdge('escalate', 'remember')
    .addEdge('smalltalk', 'remember')
    .addEdge('clarify', 'remember')
    .addEdge('check', 'remember')
    .addEdge('remember', END)
    .compile({ checkpointer })
}

export type AgentGraph = ReturnType<typeof buildAgentGraph>

const topics = (text: string, language: Language): Part => ({
  type: 'choice',
  text,
  options: suggestions.map((s) => ({ title: s.title[language], value: s.value[language] })),
})
