import type { Escalation } from '../../core/index.js'
import type { IntentResult } from '../intent/types.js'
import { hasCjk, tokenize } from '../language/text.js'

/** Where a turn goes after it is understood. */
export type Route = 'escalate' | 'smalltalk' | 'clarify' | 'knowledge'

export interface RouteInput {
  text: string
  intent: IntentResult | null
  escalate: Escalation | null
  clarifyBelow: number
}

const SMALLTALK = new Set(['greeting', 'goodbye'])

/**
 * Pure: a human when someone asked for one or is upset; a pleasantry for a bare greeting; a
 * question back when the message says too little to search for; the knowledge base otherwise.
 */
export function decideRoute({ text, intent, escalate, clarifyBelow }: RouteInput): Route {
  if (escalate || intent?.name === 'human_agent') return 'escalate'
  const size = substance(text)
  if (intent && SMALLTALK.has(intent.name) && intent.confidence >= 0.5 && size <= 4) return 'smalltalk'
  const unsure = !intent || intent.confidence < clarifyBelow || intent.name === 'other'
  if (unsure && size <= 1) return 'clarify'
  return 'knowledge'
}

/** Roughly how many meaningful words a message has (CJK counted in two-character words). */
export function substance(text: string): number {
  const tokens = [...tokenize(text)]
  const latin = tokens.filter((t) => !hasCjk(t)).length
  const cjkChars = tokens.filter((t) => hasCjk(t) && [...t].length === 1).length
  return latin + Math.ceil(cjkChars / 2)
}
