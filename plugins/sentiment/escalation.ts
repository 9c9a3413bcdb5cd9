import type { EscalationConfig } from './manifest.js'
import type { SentimentLabel } from './types.js'

export type EscalationReason = 'complaint_negative' | 'repeated_negative' | 'strong_negative'

/** What the plugin keeps in `turn.memory.sentiment` between turns. JSON only. */
export interface SentimentMemory {
  /** Scores of the latest turns, oldest first, at most `window` long. */
  recent: number[]
  /** Why the conversation is escalated; null when it is not. */
  escalated: EscalationReason | null
  /** Consecutive turns at or above neutral since the escalation began. */
  calm: number
}

export interface TurnReading {
  score: number
  label: SentimentLabel
  intent?: string | undefined
}

export interface EscalationStep {
  memory: SentimentMemory
  /** Set while escalated, including the turn it starts. */
  reason: EscalationReason | null
  started: boolean
  ended: boolean
}

export const freshMemory = (): SentimentMemory => ({ recent: [], escalated: null, calm: 0 })

/** Reads stored memory defensively: it outlives deploys, and a bad record must not break a turn. */
export function readMemory(stored: unknown): SentimentMemory {
  if (!stored || typeof stored !== 'object') return freshMemory()
  const m = stored as Partial<SentimentMemory>
  const reasons: unknown[] = ['complaint_negative', 'repeated_negative', 'strong_negative']
  return {
    recent: Array.isArray(m.recent) ? m.recent.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [],
    escalated: reasons.includes(m.escalated) ? (m.escalated as EscalationReason) : null,
    calm: typeof m.calm === 'number' && Number.isInteger(m.calm) && m.calm >= 0 ? m.calm : 0,
  }
}

/**
 * One turn of the escalation state machine. Entering takes one bad sign (a negative complaint, an
 * extreme turn) or a pattern (strongly negative turns piling up); leaving takes a run of calm
 * turns, so the flag cannot flap from one message to the next.
 */
export function escalationStep(previous: SentimentMemory, reading: TurnReading, config: EscalationConfig): EscalationStep {
  const recent = [...previous.recent, reading.score].slice(-config.window)
  if (previous.escalated) {
    const calm = reading.label === 'negative' ? 0 : previous.calm + 1
    if (calm >= config.calmTurns) {
      // Forget the scores that led here, or they would re-trigger the next negative turn at once.
      return { memory: freshMemory(), reason: null, started: false, ended: true }
    }
    return { memory: { recent, escalated: previous.escalated, calm }, reason: previous.escalated, started: false, ended: false }
  }
  const reason = trigger(recent, reading, config)
  return { memory: { recent, escalated: reason, calm: 0 }, reason, started: reason !== null, ended: false }
}

function trigger(recent: readonly number[], { score, intent }: TurnReading, config: EscalationConfig): EscalationReason | null {
  if (intent === 'complaint' && score <= config.complaintAt) return 'complaint_negative'
  if (score <= config.extremeAt) return 'strong_negative'
  if (recent.filter((s) => s <= config.strongAt).length >= config.strongTurns) return 'repeated_negative'
  return null
}
