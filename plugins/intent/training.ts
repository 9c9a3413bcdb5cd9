import { readFileSync } from 'node:fs'
import { intentFeatures } from './features.js'
import type { TenantIntent } from './manifest.js'
import type { Sample } from './model.js'
import { BUILTIN_INTENTS } from './types.js'

const TRAIN_FILE = new URL('./data/train.jsonl', import.meta.url)

let shipped: readonly Sample[] | undefined

/**
 * The examples shipped with the plugin, with their features: read and computed once per process,
 * frozen, shared read-only by every tenant, so a reload only pays for the training itself.
 */
export function shippedSamples(): readonly Sample[] {
  if (shipped) return shipped
  const builtin = new Set<string>(BUILTIN_INTENTS)
  const samples = readFileSync(TRAIN_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      const { text, intent } = JSON.parse(line) as { text: string; intent: string }
      if (!builtin.has(intent)) throw new Error(`${TRAIN_FILE.pathname}:${i + 1}: unknown intent "${intent}"`)
      return Object.freeze({ text, label: intent, features: intentFeatures(text) })
    })
  return (shipped = Object.freeze(samples))
}

/**
 * The shipped examples plus the tenant's. A tenant's few examples would be outvoted by the hundred
 * or so shipped per built-in intent, so they are weighted up: a new intent to roughly the mass of
 * a built-in one's, extra examples for a built-in intent enough to bend it towards the tenant's
 * vocabulary.
 */
export function trainingSamples(intents: readonly TenantIntent[]): Sample[] {
  const base = shippedSamples()
  const builtin = new Set<string>(BUILTIN_INTENTS)
  const perIntent = base.length / BUILTIN_INTENTS.length
  const tenant = intents.flatMap(({ name, examples }) => {
    const weight = builtin.has(name) ? 3 : Math.min(10, Math.max(2, (0.6 * perIntent) / examples.length))
    return examples.map((text) => ({ text, label: name, weight }))
  })
  return [...base, ...tenant]
}
