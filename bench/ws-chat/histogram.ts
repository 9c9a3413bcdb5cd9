/**
 * HDR-style latency histogram in whole microseconds: exact below 128 µs, then 64 linear buckets per
 * power of two (≤ 1.6 % relative error) up to ~35 minutes. Fixed size, so recording is allocation
 * free in the client's hot loop and the whole thing crosses IPC as a short sparse list.
 */
const EXACT = 128
const SUB = 64
const MAX_VALUE = 2 ** 31 - 1
const BUCKETS = EXACT + 24 * SUB

export interface HistogramSnapshot {
  counts: [number, number][]
  min: number
  max: number
  sum: number
  total: number
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS)
  min = Infinity
  max = 0
  sum = 0
  total = 0

  record(micros: number): void {
    const v = Math.min(MAX_VALUE, Math.max(0, Math.round(micros)))
    this.#counts[indexOf(v)]!++
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
    this.sum += v
    this.total++
  }

  /** The value (µs) at or below which `p` percent of the recordings fall (bucket midpoint). */
  percentile(p: number): number {
    if (this.total === 0) return NaN
    const rank = Math.max(1, Math.ceil((p / 100) * this.total))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, midpointOf(i)))
    }
    return this.max
  }

  get mean(): number {
    return this.total === 0 ? NaN : this.sum / this.total
  }

  snapshot(): HistogramSnapshot {
    const counts: [number, number][] = []
    this.#counts.forEach((count, index) => {
      if (count > 0) counts.push([index, count])
    })
    return { counts, min: this.total ? this.min : 0, max: this.max, sum: this.sum, total: this.total }
  }

  static from(snapshot: HistogramSnapshot): Histogram {
    const h = new Histogram()
    for (const [index, count] of snapshot.counts) h.#counts[index] = count
    h.min = snapshot.total ? snapshot.min : Infinity
    h.max = snapshot.max
    h.sum = snapshot.sum
    h.total = snapshot.total
    return h
  }
}

function indexOf(v: number): number {
  if (v < EXACT) return v
  const shift = 31 - Math.clz32(v) - 6 // v >>> shift lands in [64, 127]
  return EXACT + (shift - 1) * SUB + ((v >>> shift) - SUB)
}

function midpointOf(index: number): number {
  if (index < EXACT) return index
  const k = index - EXACT
  const shift = Math.floor(k / SUB) + 1
  const low = ((k % SUB) + SUB) * 2 ** shift
  return low + (2 ** shift - 1) / 2
}
