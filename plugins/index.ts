import type { AgentPlugin } from '../core/index.js'
import rules from './rules/index.js'

/** Agent plugin types this build ships; the composition root registers them. */
export const builtinAgents: readonly AgentPlugin[] = [rules as unknown as AgentPlugin]
