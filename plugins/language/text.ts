const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu
const WORD = /[\p{L}\p{N}]+/gu

const STOPWORDS = new Set(
  'a an the is are was were be been am i you we they he she it my your our me us to of in on at for with and or but do does did can could would should will shall how what when where why which who whom this that these those there here have has had not no yes please hi hello thanks thank any some about from by as if so just get'.split(
    ' ',
  ),
)

export const normalise = (text: string) => text.normalize('NFKC').toLowerCase()

export const hasCjk = (text: string) => CJK.test(text)

/**
 * Tokens for matching, in Chinese and English alike: latin words (minus stopwords, with a light
 * plural/verb suffix strip) and, for CJK runs, single characters and bigrams.
 */
export function tokenize(text: string): Set<string> {
  const out = new Set<string>()
  const lower = normalise(text)
  for (const run of lower.match(CJK_RUN) ?? []) {
    const chars = [...run]
    chars.forEach((c, i) => {
      out.add(c)
      if (i + 1 < chars.length) out.add(c + chars[i + 1])
    })
  }
  for (const word of lower.replace(CJK_RUN, ' ').match(WORD) ?? []) {
    if (STOPWORDS.has(word) || word.length < 2) continue
    out.add(stem(word))
  }
  return out
}

const stem = (word: string) => {
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (word.length > suffix.length + 3 && word.endsWith(suffix)) return word.slice(0, -suffix.length)
  }
  return word
}

const HAN = /\p{Script=Han}/gu
const LATIN_WORD = /[a-z]+/gi

/**
 * The message's main language, for choosing reply language and per-language figures. Chinese
 * customers often type product words in English ("我的order还没到"), so one Han character weighs
 * as much as one English word.
 */
export function detectLanguage(text: string): 'zh' | 'en' {
  const han = text.match(HAN)?.length ?? 0
  if (han === 0) return 'en'
  const words = text.match(LATIN_WORD)?.length ?? 0
  return han >= words ? 'zh' : 'en'
}
