import { defineAgent, type Reply, type Turn } from '../../core/index.js'
import { manifest } from './manifest.js'
import { FaqMatcher, matchRule } from './matcher.js'
import { buildReply, localize } from './reply.js'
import { hasCjk } from '../language/text.js'

const defaultFallback = {
  text: {
    en: "I'm not sure I understood. Could you rephrase, or pick one of these?",
    zh: '抱歉，我没有完全理解。您可以换个说法，或从下面选择：',
  },
}

export default defineAgent({
  manifest,
  setup({ config }) {
    const matcher = new FaqMatcher(config.faq)
    const languagesOf = (turn: Turn) => {
      const detected = hasCjk(turn.activity.text) ? 'zh' : 'en'
      return [turn.activity.locale, detected].filter((l): l is string => Boolean(l))
    }
    return {
      async respond(turn): Promise<Reply | undefined> {
        const text = turn.activity.text
        const languages = languagesOf(turn)
        const matched = matchRule(config.rules, text)
        if (matched) {
          turn.annotations.rules = { matched: `rule:${matched.rule.id}`, score: 1 }
          return buildReply(matched.rule.reply, languages, matched.captures)
        }
        const ranked = matcher.rank(text)
        const best = ranked[0]
        if (best && best.score >= config.minScore) {
          turn.annotations.rules = { matched: `faq:${best.entry.id ?? best.index}`, score: round(best.score) }
          return buildReply(best.entry.answer, languages)
        }
        turn.annotations.rules = { matched: null, score: round(best?.score ?? 0) }
        if (!config.answerFallback) return undefined
        const fallback = buildReply(config.fallback ?? defaultFallback, languages)
        const suggestions = (ranked.length > 0 ? ranked : config.faq.map((entry, index) => ({ entry, index, score: 0 })))
          .slice(0, config.suggestions)
          .map(({ entry }) => localize(entry.question, languages))
        const first = fallback.parts[0]
        if (suggestions.length === 0 || !first || first.type !== 'text') return fallback
        return { parts: [{ type: 'choice', text: first.text, options: suggestions.map((q) => ({ title: q, value: q })) }], inputHint: 'expecting' }
      },
    }
  },
})

const round = (n: number) => Math.round(n * 100) / 100
