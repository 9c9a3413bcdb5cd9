import { EMOTICONS } from './lexicon/emoji.js'
import { englishWords, type Lexicon, type Role } from './lexicon/index.js'

export type Token =
  | { kind: 'word'; text: string; role?: Role; shouted?: boolean }
  | { kind: 'emoji'; value: number; /** 🙏: politeness, like "thanks". */ polite?: boolean }
  | { kind: 'break'; exclamation?: boolean; question?: boolean; /** "why??": asking is not the point. */ insist?: boolean }

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
// Faces made of punctuation can sit anywhere ("thanks:)"); faces spelled with letters (xd) only as words.
const FACES = Object.keys(EMOTICONS)
  .filter((f) => !/^[a-z]/.test(f))
  .sort((a, b) => b.length - a.length)
const PIECE = new RegExp(
  [
    // A face ending in a letter must not eat the start of a word (":p" in "note:please").
    `(?<face>${FACES.map((f) => (/[a-z]$/.test(f) ? `${escape(f)}(?!\\p{L})` : escape(f))).join('|')})`,
    '(?<emoji>\\p{Extended_Pictographic})',
    '(?<han>[\\p{Script=Han}]+)',
    // Latin only: "app老是闪退" is a Latin word followed by Chinese ones.
    "(?<latin>[\\p{Script=Latin}\\p{N}]+(?:['’][\\p{Script=Latin}]+)?)",
    '(?<bang>[!！]+)',
    '(?<ask>[?？]+)',
    '(?<stop>[,.;:，。；：、…~～\\n]+)',
  ].join('|'),
  'giu',
)

/**
 * Splits a message into sentiment tokens: English words and phrases (longest match first),
 * Chinese words by forward maximum matching against the lexicon (unknown characters stay single),
 * emoji and emoticons, and clause breaks that stop negation from reaching across a comma.
 */
export function tokenize(text: string, lexicon: Lexicon): Token[] {
  const tokens: Token[] = []
  // Links are not sentiment, and "://" would read as a frown.
  const source = text.normalize('NFKC').replace(/\bhttps?:\/\/\S+/gi, ' ')
  let latin: { text: string; shouted: boolean }[] = []
  const flushLatin = () => {
    pushEnglish(latin, lexicon, tokens)
    latin = []
  }
  for (const match of source.matchAll(PIECE)) {
    const g = match.groups!
    if (g.latin !== undefined) {
      const letters = g.latin.replace(/[^\p{L}]/gu, '')
      const face = lexicon.emoticon(g.latin)
      if (face !== undefined && /^[a-z]+$/i.test(g.latin)) {
        flushLatin()
        tokens.push({ kind: 'emoji', value: face })
        continue
      }
      const shouted = letters.length >= 2 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()
      for (const word of englishWords(g.latin)) latin.push({ text: word, shouted })
      continue
    }
    flushLatin()
    if (g.face !== undefined) tokens.push({ kind: 'emoji', value: lexicon.emoticon(g.face) ?? 0 })
    else if (g.emoji !== undefined) tokens.push({ kind: 'emoji', value: lexicon.emoji(g.emoji) ?? 0, ...(g.emoji === '🙏' ? { polite: true } : {}) })
    else if (g.han !== undefined) pushChinese(g.han, lexicon, tokens)
    else if (g.bang !== undefined) tokens.push({ kind: 'break', exclamation: true })
    else if (g.ask !== undefined) tokens.push(g.ask.length > 1 ? { kind: 'break', insist: true } : { kind: 'break', question: true })
    else tokens.push({ kind: 'break' })
  }
  flushLatin()
  return tokens
}

function pushEnglish(words: { text: string; shouted: boolean }[], lexicon: Lexicon, out: Token[]): void {
  for (let i = 0; i < words.length; ) {
    let taken = 1
    let role: Role | undefined
    for (let n = Math.min(lexicon.maxPhrase, words.length - i); n >= 1 && !role; n--) {
      role = lexicon.english(
        words
          .slice(i, i + n)
          .map((w) => w.text)
          .join(' '),
        n === 1,
      )
      if (role) taken = n
    }
    const shouted = words.slice(i, i + taken).every((w) => w.shouted)
    out.push({ kind: 'word', text: words.slice(i, i + taken).map((w) => w.text).join(' '), ...(role ? { role } : {}), ...(shouted ? { shouted } : {}) })
    i += taken
  }
}

function pushChinese(run: string, lexicon: Lexicon, out: Token[]): void {
  const chars = [...run]
  for (let i = 0; i < chars.length; ) {
    let taken = 1
    let role: Role | undefined
    for (let n = Math.min(lexicon.maxZh, chars.length - i); n >= 1 && !role; n--) {
      role = lexicon.chinese(chars.slice(i, i + n).join(''))
      if (role) taken = n
    }
    out.push({ kind: 'word', text: chars.slice(i, i + taken).join(''), ...(role ? { role } : {}) })
    i += taken
  }
}
