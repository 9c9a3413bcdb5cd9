export interface ClassScore {
  label: string
  /** How many lines carry this label. */
  support: number
  predicted: number
  precision: number
  recall: number
  f1: number
}

export interface Scores {
  n: number
  accuracy: number
  classes: ClassScore[]
}

/** Pure: accuracy and per-class precision/recall over (expected, predicted) pairs. */
export function score(pairs: readonly { expected: string; predicted: string | undefined }[]): Scores {
  const labels = new Set<string>()
  const truePositives = new Map<string, number>()
  const support = new Map<string, number>()
  const predicted = new Map<string, number>()
  let correct = 0
  const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)
  for (const { expected, predicted: guess } of pairs) {
    labels.add(expected)
    add(support, expected)
    if (guess !== undefined) {
      labels.add(guess)
      add(predicted, guess)
    }
    if (guess === expected) {
      correct++
      add(truePositives, expected)
    }
  }
  const classes = [...labels].sort().map((label): ClassScore => {
    const tp = truePositives.get(label) ?? 0
    const p = predicted.get(label) ?? 0
    const s = support.get(label) ?? 0
    const precision = p === 0 ? 0 : tp / p
    const recall = s === 0 ? 0 : tp / s
    return { label, support: s, predicted: p, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) }
  })
  return { n: pairs.length, accuracy: pairs.length === 0 ? 0 : correct / pairs.length, classes }
}

/** The per-class table an operator reads in a terminal. */
export function formatTable(title: string, scores: Scores): string[] {
  const width = Math.max(12, ...scores.classes.map((c) => c.label.length))
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(9)
  const lines = [`${title} (n=${scores.n}, accuracy ${pct(scores.accuracy).trim()})`, `  ${'class'.padEnd(width)}  support  predicted  precision     recall         f1`]
  for (const c of scores.classes) {
    lines.push(`  ${c.label.padEnd(width)}  ${String(c.support).padStart(7)}  ${String(c.predicted).padStart(9)}  ${pct(c.precision)}  ${pct(c.recall)}  ${pct(c.f1)}`)
  }
  return lines
}

export const round4 = (x: number) => Math.round(x * 10_000) / 10_000
