import { normalise } from './text.js'

const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu
const LATIN_RUN = /[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu
const EMOJI = /\p{Extended_Pictographic}/gu

/** Sparse features: name → weight. */
export type Features = Map<string, number>

// Groups are weighted so that the many character n-grams of one word cannot outvote the word itself.
const WEIGHT = { word: 1, bigram: 0.7, chargram: 0.3, han: 0.5, hanBigram: 1, emoji: 1 } as const

/**
 * Bag-of-features for a short customer message, in Chinese, English or both at once:
 * latin word unigrams and bigrams (lowercased, lightly stemmed), character 3-grams of latin words
 * so typos still share most of their features, Han character unigrams and bigrams (Chinese has
 * no spaces; bigrams approximate words without a segmenter), emoji, plus any `extra` features the caller
 * derives (concepts). The vector is L2-normalised, so a long message does not get more confident
 * than a short one just by length.
 */
export function textFeatures(text: string, extra: Iterable<readonly [string, number]> = []): Features {
  const out: Features = new Map()
  const add = (name: string, weight: number) => out.set(name, (out.get(name) ?? 0) + weight)
  const lower = normalise(text)

  for (const run of lower.match(CJK_RUN) ?? []) {
    const chars = [...run]
    chars.forEach((c, i) => {
      add(`h:${c}`, WEIGHT.han)
      if (i + 1 < chars.length) add(`hh:${c}${chars[i + 1]}`, WEIGHT.hanBigram)
    })
  }

  for (const emoji of lower.match(EMOJI) ?? []) add(`e:${emoji}`, WEIGHT.emoji)

  // A Han run splits latin text into separate phrases: "退款refund" must not bigram across scripts.
  for (const phrase of lower.split(CJK_RUN)) {
    const words = (phrase.match(LATIN_RUN) ?? []).map(latinToken)
    words.forEach((w, i) => {
      add(`w:${w}`, WEIGHT.word)
      if (i + 1 < words.length) add(`b:${w}_${words[i + 1]}`, WEIGHT.bigram)
      if (!w.startsWith('<') && w.length >= 3) for (const g of charGrams(w)) add(`c:${g}`, WEIGHT.chargram)
    })
  }

  for (const [name, weight] of extra) add(name, weight)

  let norm = 0
  for (const v of out.values()) norm += v * v
  norm = Math.sqrt(norm)
  if (norm > 0) for (const [k, v] of out) out.set(k, v / norm)
  return out
}

/** Latin words as the features see them, for callers matching their own vocabulary. */
export const latinWords = (text: string): string[] =>
  normalise(text)
    .split(CJK_RUN)
    .flatMap((phrase) => phrase.match(LATIN_RUN) ?? [])
    .map(latinToken)

/** Order numbers and amounts carry meaning by shape, not by value. */
export function latinToken(raw: string): string {
  const word = raw.replace(/'/g, '')
  if (/^\d+$/.test(word)) return word.length >= 5 ? '<id>' : '<num>'
  if (/\d/.test(word) && /[a-z]/.test(word) && word.length >= 6) return '<id>'
  return stem(word)
}

function charGrams(word: string): string[] {
  const padded = `<${word}>`
  const grams: string[] = []
  for (let i = 0; i + 3 <= padded.length; i++) grams.push(padded.slice(i, i + 3))
  return grams
}

/**
 * Light suffix stripping, enough that "refunds", "refunded" and "refunding" meet without a
 * dictionary. A final "e" goes too, so "charge" and "charged" land on the same stem.
 */
export function stem(word: string): string {
  if (word.length <= 3) return word
  let s = word
  if (s.length > 4 && s.endsWith('ies')) s = `${s.slice(0, -3)}y`
  else if (s.endsWith('sses')) s = s.slice(0, -2)
  else if (/(?:x|z|ch|sh)es$/.test(s)) s = s.slice(0, -2)
  else if (s.endsWith('s') && !/(?:ss|us|is)$/.test(s)) s = s.slice(0, -1)
  if (s.length > 5 && s.endsWith('ing')) s = undouble(s.slice(0, -3))
  else if (s.length > 4 && s.endsWith('ed')) s = undouble(s.slice(0, -2))
  if (s.length > 3 && s.endsWith('e')) s = s.slice(0, -1)
  return s
}

const undouble = (s: string) => (/([^aeiouylsz])\1$/.test(s) ? s.slice(0, -1) : s)
