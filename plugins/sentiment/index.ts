import { defineAgent } from '../../core/index.js'
import { manifest } from './manifest.js'
import { sentimentMiddleware } from './middleware.js'
import { SentimentScorer } from './scorer.js'

export { manifest, SentimentConfig } from './manifest.js'
export { SentimentScorer } from './scorer.js'
export type { SentimentMemory, EscalationReason } from './escalation.js'
export * from './types.js'

export default defineAgent({
  manifest,
  setup(ctx) {
    return { inbound: sentimentMiddleware(ctx, new SentimentScorer(ctx.config.words)) }
  },
})
