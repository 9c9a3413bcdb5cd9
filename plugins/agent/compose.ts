import type { Part } from '../../core/index.js'
import { tokenize } from '../language/text.js'
import type { Passage } from '../knowledge/types.js'
import { languageOf, type Language } from './language.js'
import { intentFallbacks, leadIns, phrases } from './phrases.js'

const MAX_UNITS = 6
const WHOLE_PASSAGE_CHARS = 480

/**
 * Orders evidence for the customer: passages in their language first (the knowledge base holds
 * each topic per language), best score first within each, at most `limit`.
 */
export function preferLanguage(passages: readonly Passage[], language: Language, limit: number): Passage[] {
  const same = passages.filter((p) => languageOf(p.text) === language)
  const other = passages.filter((p) => languageOf(p.text) !== language)
  return [...same, ...other].slice(0, limit)
}

/**
 * The built-in provider's answer: the most relevant lines of the best passage (all of it when
 * short), introduced by what was understood and followed by where it came from. Every sentence is
 * quoted from the knowledge base, so it is grounded by construction.
 */
export function composeFromPassages(query: string, passages: readonly Passage[], intent: string | undefined, language: Language): { text: string; used: Passage[] } {
  const best = passages[0]
  if (!best) return { text: '', used: [] }
  const used = [best]
  const text = answerOf(best.text)
  const body = text.length <= WHOLE_PASSAGE_CHARS ? text : relevantUnits(query, text)
  // A second passage earns its place only when it adds different facts from another source.
  const second = passages[1]
  let extra = ''
  if (second && second.source !== best.source && languageOf(second.text) === language && second.score >= best.score * 0.92) {
    extra = relevantUnits(query, answerOf(second.text), 3)
    used.push(second)
  }
  const leadIn = intent ? leadIns[intent]?.[language] : undefined
  return { text: [leadIn, body, extra, citation(used, language)].filter(Boolean).join('\n\n'), used }
}

export function citation(passages: readonly Passage[], language: Language): string {
  const names = [...new Set(passages.map((p) => (p.title ? `${p.source} › ${p.title}` : p.source)))]
  return `${phrases.sources[language]}${language === 'zh' ? '：' : ': '}${names.join('; ')}`
}

/** When nothing in the knowledge base fits: the intent's next step, or an honest offer of a human. */
export function fallbackAnswer(intent: string | undefined, language: Language): Part[] {
  const next = intent ? intentFallbacks[intent]?.[language] : undefined
  if (next) return [{ type: 'text', text: next }]
  return [humanOffer(phrases.notFound[language], language)]
}

export const humanOffer = (text: string, language: Language): Part => ({
  type: 'choice',
  text,
  options: [{ title: phrases.talkToHuman[language], value: phrases.talkToHuman[language] }],
})

/** A FAQ chunk holds the question it answers; the customer just asked it, so quote the answer. */
function answerOf(text: string): string {
  const faq = /^\s*(?:Q|问)[:：][^\n]*\n+\s*(?:A|答)[:：]\s*([\s\S]+)$/u.exec(text)
  return (faq ? faq[1]! : text).trim()
}

/** Lines of a list or table, else sentences: the units a reader scans. */
function units(text: string): string[] {
  const lines = text.split(/\n+/).map((l) => l.trim()).filter(Boolean)
  if (lines.length >= 3) return lines
  return text.split(/(?<=[.!?。！？])\s*/u).map((s) => s.trim()).filter(Boolean)
}

function relevantUnits(query: string, text: string, max = MAX_UNITS): string {
  const wanted = tokenize(query)
  const all = units(text)
  const scored = all.map((unit, index) => {
    const tokens = tokenize(unit)
    let hits = 0
    for (const t of wanted) if (tokens.has(t)) hits++
    // Headings and the opening line carry context even without query words.
    const bonus = index === 0 || /^#|^\|?\s*[-*]?\s*\*\*/.test(unit) ? 0.5 : 0
    return { unit, index, score: hits + bonus }
  })
  const keep = new Set(
    scored
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, max)
      .map((s) => s.index),
  )
  if (keep.size === 0) return all.slice(0, max).join('\n')
  return all.filter((_, i) => keep.has(i)).join('\n')
}
