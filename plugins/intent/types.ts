import type { InjectionToken } from 'tsyringe'

/** The intents every tenant has; tenants add their own in config. */
export const BUILTIN_INTENTS = [
  'greeting',
  'goodbye',
  'product_inquiry',
  'order_status',
  'refund_request',
  'billing',
  'technical_support',
  'complaint',
  'human_agent',
  'other',
] as const
export type BuiltinIntent = (typeof BUILTIN_INTENTS)[number]

export interface IntentScore {
  name: string
  /** 0–1 */
  confidence: number
}

export interface IntentResult extends IntentScore {
  /** Who decided: the built-in model, or the LLM asked because the model was unsure. */
  source: 'builtin' | 'llm'
  /** The runners-up, best first. */
  alternatives: IntentScore[]
}

/** The tenant's trained classifier, for plugins that classify text other than the turn's own. */
export interface IntentClassifier {
  classify(text: string): IntentResult
  readonly intents: readonly string[]
}

export const IntentClassifierToken = Symbol.for('switchboard.plugins.IntentClassifier') as InjectionToken<IntentClassifier>

declare module '../../core/pipeline/turn.js' {
  interface TurnState {
    intent?: IntentResult
  }
}
