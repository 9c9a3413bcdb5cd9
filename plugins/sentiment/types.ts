export type SentimentLabel = 'negative' | 'neutral' | 'positive'

export interface SentimentResult {
  label: SentimentLabel
  /** -1 (furious) … 1 (delighted) */
  score: number
}

declare module '../../core/pipeline/turn.js' {
  interface TurnState {
    sentiment?: SentimentResult
  }
}
