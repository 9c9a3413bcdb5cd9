/**
 * The one tokenisation the knowledge base matches with: the full-text index, the query and the
 * reranker all use it, so a term found in one is spelled the same in the others. Chinese has no
 * spaces, so CJK runs become character bigrams; latin text becomes lowercased, lightly stemmed
 * words. The output is what LanceDB's whitespace tokenizer indexes (see store.ts).
 */
import { hasCjk, normalise } from '../language/text.js'

export { hasCjk, normalise }

const CJK_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}'
const CJK_RUN = new RegExp(`[${CJK_CLASS}]+`, 'gu')
const LATIN_WORD = /[\p{L}\p{N}]+/gu

/** Bumped whenever the terms of a text change, so stored indexes are rebuilt (it is part of the fingerprint). */
export const TERMS_VERSION = 1

const STOPWORDS = new Set(
  (
    'a an the is are was were be been being am i you we they he she it its my your our their me us them to of in on at for with and or but ' +
    'do does did done can could would should will shall may might must how what when where why which who whom this that these those there here ' +
    'have has had not no yes please hi hello thanks thank any some about from by as if so just get got want like need know tell let into than then'
  ).split(' '),
)

// Bigrams that carry no topic in customer questions ("我想…", "你们的…", "请问…"); dropped from queries only,
// so documents keep them and nothing is lost when a query really is about them.
const CJK_QUERY_STOP = new Set(
  '我想 想了 了解 你们 们的 我们 我的 请问 问一 一下 怎么 么办 如何 什么 可以 能不 不能 是不 不是 的话 有没 没有 一个 这个 那个 知道 告诉 帮我 需要 要怎 么样'.split(' '),
)


export const isStopword = (word: string): boolean => STOPWORDS.has(word)


export const isCjkChar = (char: string): boolean => hasCjk(char)

/** A light English suffix strip: enough for plans/plan, shipping/ship, refunded/refund. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word
  if (word.endsWith('ies') && word.length > 5) return word.slice(0, -3) + 'y'
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (word.length > suffix.length + 3 && word.endsWith(suffix)) {
      const base = word.slice(0, -suffix.length)
      // "shipping" → "shipp" → "ship", like "stopped" → "stop".
      return suffix !== 's' && base.length > 3 && base.at(-1) === base.at(-2) ? base.slice(0, -1) : base
    }
  }
  return word
}

/** Terms of a document or query, in order, with repeats (BM25 counts them). */
export function terms(text: string, options: { query?: boolean } = {}): string[] {
  const out: string[] = []
  const lower = normalise(text)
  let last = 0
  for (const match of lower.matchAll(CJK_RUN)) {
    latinTerms(lower.slice(last, match.index), out)
    cjkTerms(match[0], out, options.query === true)
    last = match.index + match[0].length
  }
  latinTerms(lower.slice(last), out)
  return out
}

function latinTerms(text: string, out: string[]): void {
  for (const word of text.match(LATIN_WORD) ?? []) {
    if (STOPWORDS.has(word) || (word.length < 2 && !/\d/.test(word))) continue
    out.push(stem(word))
  }
}

function cjkTerms(run: string, out: string[], query: boolean): void {
  const chars = [...run]
  if (chars.length === 1) {
    out.push(chars[0]!)
    return
  }
  for (let i = 0; i + 1 < chars.length; i++) {
    const bigram = chars[i]! + chars[i + 1]!
    if (query && CJK_QUERY_STOP.has(bigram)) continue
    out.push(bigram)
  }
}

/** What the full-text column holds for a chunk: its terms, space-separated. */
export const indexTerms = (title: string | undefined, text: string): string => terms(title ? `${title}\n${text}` : text).join(' ')
