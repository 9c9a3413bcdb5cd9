import { parse as parseYaml } from 'yaml'
import type { FaqPair } from './chunker.js'

/**
 * Question/answer pairs from a `.faq.yaml` / `.faq.json` file. Accepted shapes, so an export from
 * most help desks works without reshaping:
 *
 * ```yaml
 * title: Shipping            # optional, becomes the title of every pair
 * faq:                       # or `questions`, `items`, or the list at the top level
 *   - question: How long does delivery take?    # or `q`
 *     answer: 2–4 business days.                # or `a`
 *     category: Delivery                        # optional
 *   - question: { en: Do you ship abroad?, zh: 你们配送到国外吗？ }   # one pair per language
 *     answer: { en: Within the EU., zh: 仅限欧盟。 }
 * ```
 */
export function parseFaqFile(content: string, format: 'yaml' | 'json'): { pairs: FaqPair[]; problems: string[] } {
  const doc: unknown = format === 'json' ? JSON.parse(content) : parseYaml(content)
  const root = isRecord(doc) ? doc : {}
  const list = Array.isArray(doc) ? doc : (root.faq ?? root.questions ?? root.items)
  if (!Array.isArray(list)) return { pairs: [], problems: ['no list of questions (expected a list, or `faq:` / `questions:` / `items:`)'] }
  const title = typeof root.title === 'string' ? root.title.trim() : undefined
  const pairs: FaqPair[] = []
  const problems: string[] = []
  list.forEach((item, index) => {
    if (!isRecord(item)) return problems.push(`entry ${index + 1} is not an object`)
    const question = localized(item.question ?? item.q)
    const answer = localized(item.answer ?? item.a)
    if (!question || !answer) return problems.push(`entry ${index + 1} needs a question and an answer`)
    const category = typeof item.category === 'string' ? item.category.trim() : undefined
    const path = [title, category].filter((p): p is string => Boolean(p))
    for (const [language, q] of Object.entries(question)) {
      const a = answer[language] ?? answer.default ?? Object.values(answer)[0]!
      pairs.push({ question: q, answer: a, path })
    }
  })
  return { pairs, problems }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A string, or strings per language; `default` stands for "the only language". */
function localized(value: unknown): Record<string, string> | undefined {
  if (typeof value === 'string') return value.trim() ? { default: value.trim() } : undefined
  if (typeof value === 'number') return { default: String(value) }
  if (!isRecord(value)) return undefined
  const entries = Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== '')
  return entries.length > 0 ? Object.fromEntries(entries) : undefined
}
