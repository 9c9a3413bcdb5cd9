import type { Reply } from '../../core/index.js'
import type { Localized, ReplySpec } from './manifest.js'

/** Picks the user's language, then the tenant's, then English, then whatever there is. */
export function localize(value: Localized, languages: readonly string[]): string {
  if (typeof value === 'string') return value
  for (const language of languages) {
    const found = value[language] ?? value[language.slice(0, 2)]
    if (found) return found
  }
  return value.en ?? Object.values(value)[0]!
}

const isStructured = (spec: ReplySpec): spec is Extract<ReplySpec, { text: unknown }> => typeof spec === 'object' && 'text' in spec

export function buildReply(spec: ReplySpec, languages: readonly string[]): Reply {
  if (!isStructured(spec)) return { parts: [{ type: 'text', text: localize(spec, languages) }] }
  const text = localize(spec.text, languages)
  if (!spec.options) return { parts: [{ type: 'text', text }] }
  return {
    parts: [{ type: 'choice', text, options: spec.options.map((o) => ({ title: localize(o.title, languages), value: o.value })) }],
    inputHint: 'expecting',
  }
}
