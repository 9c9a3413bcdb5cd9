import { latinWords } from './features.js'
import { FuzzyVocabulary } from './fuzzy.js'
import { normalise } from './text.js'

/**
 * A meaning and the ways customers say it: English words or phrases, and Chinese substrings or
 * patterns (a pattern where one character means different things by its neighbours: 退 is "return"
 * except in 退出 "log out").
 */
export interface Concept {
  id: string
  en: readonly string[]
  zh: readonly (string | RegExp)[]
}

/**
 * Spots concepts in a message. Lets a model trained on a few hundred examples generalise to
 * synonyms it never saw ("reimburse" counts as asking for money back because the concept says so),
 * and tolerates one-letter typos in English words of five letters or more.
 */
export class Gazetteer {
  readonly #words: FuzzyVocabulary<string>
  readonly #phrases = new Map<string, { tail: string[]; id: string }[]>()
  // Substrings indexed by their first character, so a message is scanned once rather than once per entry.
  readonly #zh = new Map<string, { text: string; id: string }[]>()
  readonly #patterns: { pattern: RegExp; id: string }[] = []

  constructor(concepts: readonly Concept[]) {
    const words: [string, string][] = []
    for (const { id, en, zh } of concepts) {
      for (const entry of en) {
        const tokens = latinWords(entry)
        if (tokens.length === 1) words.push([tokens[0]!, id])
        else if (tokens.length > 1) {
          const list = this.#phrases.get(tokens[0]!) ?? []
          list.push({ tail: tokens.slice(1), id })
          this.#phrases.set(tokens[0]!, list)
        }
      }
      for (const match of zh) {
        if (typeof match !== 'string') this.#patterns.push({ pattern: match, id })
        else if (match) {
          const text = normalise(match)
          const list = this.#zh.get(text[0]!) ?? []
          list.push({ text, id })
          this.#zh.set(text[0]!, list)
        }
      }
    }
    this.#words = new FuzzyVocabulary(words)
  }

  /** Concept ids present in the text, each once. */
  find(text: string): Set<string> {
    const found = new Set<string>()
    const lower = normalise(text)
    for (let i = 0; i < lower.length; i++) {
      for (const { text: sub, id } of this.#zh.get(lower[i]!) ?? []) if (lower.startsWith(sub, i)) found.add(id)
    }
    for (const { pattern, id } of this.#patterns) if (pattern.test(lower)) found.add(id)
    const tokens = latinWords(text)
    tokens.forEach((token, i) => {
      for (const id of this.#words.lookup(token)) found.add(id)
      for (const { tail, id } of this.#phrases.get(token) ?? []) {
        if (tail.every((t, j) => tokens[i + 1 + j] === t)) found.add(id)
      }
    })
    return found
  }
}
