import { hasCjk } from '../../language/text.js'
import { EMOJI, EMOTICONS } from './emoji.js'
import { EN_CONTRAST, EN_CUES, EN_DEGREE, EN_FUNCTIONS, EN_HUMAN, EN_LEXICON, EN_NEGATORS, EN_POLITE, EN_PROBLEMS, EN_SEEK, EN_UNTIL } from './en.js'
import { ZH_CONTRAST, ZH_CUES, ZH_DEGREE, ZH_FUNCTIONS, ZH_HUMAN, ZH_LEXICON, ZH_NEGATORS, ZH_POLITE, ZH_PROBLEMS, ZH_SEEK, ZH_UNTIL } from './zh.js'

/** What a word does to the message's sentiment. */
export type Role =
  | {
      kind: 'valence'
      value: number
      /** 好 is "good" alone but "so" before another sentiment word. */
      degree?: number
      /** A symptom ("offline", "闪退"): symptoms saturate, and they let cues count. */
      problem?: true
      /** Thanks, which is only politeness when it closes a request. */
      polite?: true
    }
  /** Something that should happen ("connect", "收到"): negated, a problem of this valence. */
  | { kind: 'function'; value: number }
  /** Persistence or grievance ("keeps", "又", "promised"): counts only in a problem report. */
  | { kind: 'cue'; value: number }
  /** Asking for a person: upset only when shouted or repeated. */
  | { kind: 'human' }
  /** Asking for something ("recommend", "推荐"): positive words after it describe the wish. */
  | { kind: 'seek' }
  | { kind: 'degree'; value: number }
  | { kind: 'negator' }
  /** `until`: "worked great until…", praise before it is only the set-up for what broke. */
  | { kind: 'contrast'; until?: true }

// Apostrophe-less contractions are how people type on phones; they must negate like the real thing.
const CONTRACTIONS: Record<string, string[]> = {
  dont: ['do', 'not'], doesnt: ['does', 'not'], didnt: ['did', 'not'], isnt: ['is', 'not'], arent: ['are', 'not'],
  wasnt: ['was', 'not'], werent: ['were', 'not'], wont: ['will', 'not'], cant: ['can', 'not'], cannot: ['can', 'not'],
  couldnt: ['could', 'not'], shouldnt: ['should', 'not'], wouldnt: ['would', 'not'], havent: ['have', 'not'],
  hasnt: ['has', 'not'], hadnt: ['had', 'not'], aint: ['is', 'not'],
}

const LATIN_WORD = /[a-z0-9]+(?:['’][a-z]+)?/g

/** An English word as the lexicon sees it: lowercased, contractions split into word + "not". */
export function englishWords(text: string): string[] {
  return (text.toLowerCase().match(LATIN_WORD) ?? []).flatMap((raw) => {
    const word = raw.replace(/’/g, "'")
    if (word.endsWith("n't")) return [word === "won't" ? 'will' : word === "can't" ? 'can' : word.slice(0, -3), 'not']
    return CONTRACTIONS[word] ?? [word.replace(/'/g, '')]
  })
}

/**
 * The built-in English and Chinese lexicons plus a tenant's own words (product nicknames, local
 * slang), with the lookups the tokenizer needs. Built per tenant; the built-in tables are shared
 * read-only.
 */
export class Lexicon {
  readonly #en = new Map<string, Role>()
  readonly #zh = new Map<string, Role>()
  readonly maxPhrase: number
  readonly maxZh: number

  constructor(extra: Readonly<Record<string, number>> = {}) {
    const en = (key: string, role: Role) => {
      const words = englishWords(key)
      this.#en.set(words.join(' '), role)
    }
    const zh = (w: string, role: Role) => {
      this.#zh.set(w, role)
    }
    // Later tables win where a word is in two.
    const tables = [
      [en, EN_NEGATORS, EN_CONTRAST, EN_UNTIL, EN_DEGREE, EN_LEXICON, EN_POLITE, EN_PROBLEMS, EN_FUNCTIONS, EN_CUES, EN_HUMAN, EN_SEEK],
      [zh, ZH_NEGATORS, ZH_CONTRAST, ZH_UNTIL, ZH_DEGREE, ZH_LEXICON, ZH_POLITE, ZH_PROBLEMS, ZH_FUNCTIONS, ZH_CUES, ZH_HUMAN, ZH_SEEK],
    ] as const
    for (const [set, negators, contrast, until, degrees, lexicon, polite, problems, functions, cues, human, seek] of tables) {
      const politeSet = new Set(polite)
      for (const w of negators) set(w, { kind: 'negator' })
      for (const w of contrast) set(w, { kind: 'contrast' })
      for (const w of until) set(w, { kind: 'contrast', until: true })
      for (const [w, value] of Object.entries(degrees)) set(w, { kind: 'degree', value })
      for (const [w, value] of Object.entries(lexicon)) {
        const degree = set === zh ? degrees[w] : undefined
        set(w, { kind: 'valence', value, ...(degree !== undefined ? { degree } : {}), ...(politeSet.has(w) ? { polite: true as const } : {}) })
      }
      for (const [w, value] of Object.entries(problems)) set(w, { kind: 'valence', value, problem: true })
      for (const [w, value] of Object.entries(functions)) set(w, { kind: 'function', value })
      for (const [w, value] of Object.entries(cues)) set(w, { kind: 'cue', value })
      for (const w of human) set(w, { kind: 'human' })
      for (const w of seek) set(w, { kind: 'seek' })
    }
    for (const [w, value] of Object.entries(extra)) {
      if (hasCjk(w)) this.#zh.set(w.normalize('NFKC'), { kind: 'valence', value })
      else en(w, { kind: 'valence', value })
    }
    this.maxPhrase = Math.max(...[...this.#en.keys()].map((k) => k.split(' ').length))
    this.maxZh = Math.max(...[...this.#zh.keys()].map((k) => k.length))
  }

  /**
   * A word or phrase (words joined by spaces). Single words also match without elongation
   * ("sooo"). No stemming: it made "please" read as "pleased" and "sorting" as "sorted", so
   * inflections that matter are listed in the lexicon instead.
   */
  english(key: string, single: boolean): Role | undefined {
    const exact = this.#en.get(key)
    if (exact || !single) return exact
    const squeezed = key.replace(/([a-z])\1{2,}/g, '$1$1')
    return this.#en.get(squeezed) ?? this.#en.get(squeezed.replace(/([a-z])\1/g, '$1'))
  }

  chinese(word: string): Role | undefined {
    return this.#zh.get(word)
  }

  emoji(symbol: string): number | undefined {
    return EMOJI[symbol]
  }

  emoticon(face: string): number | undefined {
    return EMOTICONS[face.toLowerCase()]
  }
}
