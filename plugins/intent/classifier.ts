import { intentFeatures } from './features.js'
import type { TenantIntent } from './manifest.js'
import { IntentModel, type TrainOptions } from './model.js'
import { trainingSamples } from './training.js'
import { BUILTIN_INTENTS, type IntentClassifier, type IntentResult } from './types.js'

const ALTERNATIVES = 3

/** The tenant's built-in classifier: shipped examples plus the tenant's own, trained at setup. */
export class BuiltinIntentClassifier implements IntentClassifier {
  readonly intents: readonly string[]

  private constructor(private readonly model: IntentModel) {
    this.intents = model.labels
  }

  static train(tenantIntents: readonly TenantIntent[] = [], options?: TrainOptions): BuiltinIntentClassifier {
    return new BuiltinIntentClassifier(IntentModel.train(trainingSamples(tenantIntents), 'other', intentFeatures, options))
  }

  /** Built-in names first, then the tenant's, in the order the model knows them. */
  get names(): string[] {
    const builtin = new Set<string>(BUILTIN_INTENTS)
    return [...BUILTIN_INTENTS, ...this.intents.filter((i) => !builtin.has(i))]
  }

  classify(text: string): IntentResult {
    const [best, ...rest] = this.model.predict(text)
    return {
      name: best!.label,
      confidence: best!.probability,
      source: 'builtin',
      alternatives: rest.slice(0, ALTERNATIVES).map((p) => ({ name: p.label, confidence: p.probability })),
    }
  }
}
