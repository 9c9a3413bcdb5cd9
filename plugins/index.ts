import type { AgentPlugin } from '../core/index.js'
import agent from './agent/index.js'
import customers from './customers/index.js'
import handoff from './handoff/index.js'
import intent from './intent/index.js'
import knowledge from './knowledge/index.js'
import llm from './llm/index.js'
import rules from './rules/index.js'
import sentiment from './sentiment/index.js'
import ticketing from './ticketing/index.js'

/** Agent plugin types this build ships; the composition root registers them. */
export const builtinAgents: readonly AgentPlugin[] = [rules, llm, intent, sentiment, knowledge, agent, customers, handoff, ticketing] as unknown as AgentPlugin[]
