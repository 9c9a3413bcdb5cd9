import { defineAgent } from '../../core/index.js'
import { BuiltinIntentClassifier } from './classifier.js'
import { manifest } from './manifest.js'
import { intentMiddleware } from './middleware.js'
import { IntentClassifierToken } from './types.js'

export { manifest, IntentConfig } from './manifest.js'
export { BuiltinIntentClassifier } from './classifier.js'
export * from './types.js'

export default defineAgent({
  manifest,
  setup(ctx) {
    const classifier = BuiltinIntentClassifier.train(ctx.config.intents)
    ctx.container.register(IntentClassifierToken, { useValue: classifier })
    ctx.log.debug({ intents: classifier.intents.length }, 'intent classifier trained')
    return { inbound: intentMiddleware(ctx, classifier) }
  },
})
