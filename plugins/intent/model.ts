import type { Features } from '../language/features.js'

export interface Sample {
  text: string
  label: string
  /** How much this example counts; tenant examples count more than the shipped ones. */
  weight?: number
  /** Features computed ahead (the shipped examples, once per process); otherwise `featurize(text)`. */
  features?: Features
}

export type Featurize = (text: string) => Features

export interface TrainOptions {
  epochs?: number
  learningRate?: number
  l2?: number
  seed?: number
}

export interface Prediction {
  label: string
  probability: number
}

/**
 * Multinomial logistic regression over sparse text features, trained by SGD. Chosen over naive
 * Bayes because its softmax gives usable confidences (naive Bayes is near-certain about
 * everything), and it is still small enough to train per tenant on every reload.
 */
export class IntentModel {
  private constructor(
    readonly labels: readonly string[],
    private readonly index: ReadonlyMap<string, number>,
    private readonly weights: Float64Array,
    private readonly bias: Float64Array,
    /** The label a message with no known feature at all gets: nothing in it looks like anything. */
    private readonly unknownLabel: string,
    private readonly featurize: Featurize,
  ) {}

  static train(samples: readonly Sample[], unknownLabel: string, featurize: Featurize, options: TrainOptions = {}): IntentModel {
    const { epochs = 8, learningRate = 0.5, l2 = 1e-3, seed = 1 } = options
    const labels = [...new Set([unknownLabel, ...samples.map((s) => s.label)])].sort()
    const labelIndex = new Map(labels.map((l, i) => [l, i]))
    const index = new Map<string, number>()
    const rows = samples.map((s) => {
      const ids: number[] = []
      const values: number[] = []
      for (const [name, value] of s.features ?? featurize(s.text)) {
        let id = index.get(name)
        if (id === undefined) index.set(name, (id = index.size))
        ids.push(id)
        values.push(value)
      }
      return { ids: Int32Array.from(ids), values: Float64Array.from(values), y: labelIndex.get(s.label)!, weight: s.weight ?? 1 }
    })

    const K = labels.length
    const W = new Float64Array(index.size * K)
    const b = new Float64Array(K)
    // AdaGrad keeps rare but telling features (a tenant's product name) from being drowned out.
    const G = new Float64Array(index.size * K).fill(1e-8)
    const Gb = new Float64Array(K).fill(1e-8)
    const p = new Float64Array(K)
    const random = mulberry32(seed)
    const order = rows.map((_, i) => i)

    // The weights are averaged over the later epochs (Polyak averaging): a single SGD run ends
    // wherever the last few shuffled rows pushed it, so its answers on unseen messages swing with the
    // seed; the average of the passes is steadier and generalises better.
    const averageFrom = Math.floor(epochs / 2)
    const sumW = new Float64Array(W.length)
    const sumB = new Float64Array(K)
    let averaged = 0

    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffle(order, random)
      for (const r of order) {
        const row = rows[r]!
        logits(row.ids, row.values, W, b, K, p)
        softmax(p)
        for (let k = 0; k < K; k++) {
          const g = (p[k]! - (k === row.y ? 1 : 0)) * row.weight
          // Classes the row is already sure about teach nothing; skipping them halves training time.
          if (Math.abs(g) < 1e-3) continue
          Gb[k]! += g * g
          b[k]! -= (learningRate * g) / Math.sqrt(Gb[k]!)
          for (let j = 0; j < row.ids.length; j++) {
            const at = row.ids[j]! * K + k
            const gw = g * row.values[j]! + l2 * W[at]!
            G[at]! += gw * gw
            W[at]! -= (learningRate * gw) / Math.sqrt(G[at]!)
          }
        }
      }
      if (epoch >= averageFrom) {
        for (let i = 0; i < W.length; i++) sumW[i]! += W[i]!
        for (let k = 0; k < K; k++) sumB[k]! += b[k]!
        averaged++
      }
    }
    for (let i = 0; i < W.length; i++) sumW[i]! /= averaged
    for (let k = 0; k < K; k++) sumB[k]! /= averaged
    return new IntentModel(labels, index, sumW, sumB, unknownLabel, featurize)
  }

  /** Every label with its probability, most likely first. */
  predict(text: string): Prediction[] {
    const ids: number[] = []
    const values: number[] = []
    for (const [name, value] of this.featurize(text)) {
      const id = this.index.get(name)
      if (id !== undefined) {
        ids.push(id)
        values.push(value)
      }
    }
    const K = this.labels.length
    if (ids.length === 0) {
      return this.labels
        .map((label) => ({ label, probability: label === this.unknownLabel ? 1 / K + 0.1 : (1 - 1 / K - 0.1) / (K - 1) }))
        .sort((a, c) => c.probability - a.probability)
    }
    const p = new Float64Array(K)
    logits(ids, values, this.weights, this.bias, K, p)
    softmax(p)
    return this.labels.map((label, k) => ({ label, probability: p[k]! })).sort((a, c) => c.probability - a.probability)
  }

  get featureCount(): number {
    return this.index.size
  }
}

function logits(ids: ArrayLike<number>, values: ArrayLike<number>, W: Float64Array, b: Float64Array, K: number, out: Float64Array): void {
  out.set(b)
  for (let j = 0; j < ids.length; j++) {
    const base = ids[j]! * K
    const v = values[j]!
    for (let k = 0; k < K; k++) out[k]! += W[base + k]! * v
  }
}

function softmax(z: Float64Array): void {
  let max = -Infinity
  for (const v of z) max = Math.max(max, v)
  let sum = 0
  for (let k = 0; k < z.length; k++) sum += z[k] = Math.exp(z[k]! - max)
  for (let k = 0; k < z.length; k++) z[k]! /= sum
}

/** Seeded so the same config always trains the same model: a reload must not change answers. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
}
