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

/** `$1`…`$9` (and `$0`) in a reply become what the rule's pattern captured; unmatched ones stay as written. */
const quote = (text: string, captures: readonly string[]) => (captures.length === 0 ? text : text.replace(/\$(\d)/g, (whole, n: string) => captures[Number(n)] ?? whole))

export function buildReply(spec: ReplySpec, languages: readonly string[], captures: readonly string[] = []): Reply {
  if (!isStructured(spec)) return { parts: [{ type: 'text', text: quote(localize(spec, languages), captures) }] }
  const text = quote(localize(spec.text, languages), captures)
  if (!spec.options) return { parts: [{ type: 'text', text }] }
  return {
    parts: [{ type: 'choice', text, options: spec.options.map((o) => ({ title: localize(o.title, languages), value: o.value })) }],
    inputHint: 'expecting',
  }
}
