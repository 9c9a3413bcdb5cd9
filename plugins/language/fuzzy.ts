/**
 * Finds vocabulary words within one edit (insert, delete, substitute, swap) of a typed word, by
 * the symmetric-delete trick: a word and its one-character deletions are indexed once, so a lookup
 * is a handful of map reads instead of an edit distance against every entry.
 */
export class FuzzyVocabulary<T> {
  readonly #exact = new Map<string, T[]>()
  readonly #deletes = new Map<string, Set<string>>()

  constructor(
    entries: Iterable<readonly [string, T]>,
    /** Shorter words are left exact: one edit turns too many short words into others. */
    private readonly minLength = 5,
  ) {
    for (const [word, value] of entries) {
      const list = this.#exact.get(word)
      if (list) list.push(value)
      else this.#exact.set(word, [value])
      if (word.length < minLength) continue
      for (const variant of [word, ...deletions(word)]) {
        const set = this.#deletes.get(variant) ?? new Set()
        set.add(word)
        this.#deletes.set(variant, set)
      }
    }
  }

  /** Values of the word itself, or else of every vocabulary word one edit away. */
  lookup(word: string): T[] {
    const exact = this.#exact.get(word)
    if (exact) return exact
    // One letter short of the shortest fuzzy word still reaches it: "humn" finds "human".
    if (word.length < this.minLength - 1) return []
    const found = new Set<string>()
    for (const variant of [word, ...deletions(word)]) for (const w of this.#deletes.get(variant) ?? []) found.add(w)
    return [...found].flatMap((w) => this.#exact.get(w) ?? [])
  }
}

function deletions(word: string): string[] {
  const out: string[] = []
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1))
  return out
}
