import type { Passage } from '../knowledge/types.js'
import type { ChatMessage } from '../llm/types.js'
import type { Language } from './language.js'

export interface PromptInput {
  name: string
  instructions?: string
  language: Language
  intent?: string
  passages: readonly Passage[]
  history: readonly ChatMessage[]
  question: string
}

const MAX_MESSAGE_CHARS = 1_500
const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', zh: 'Simplified Chinese' }

/** The messages for one grounded answer: rules, numbered evidence, recent history, the question. */
export function buildPrompt(input: PromptInput): ChatMessage[] {
  const evidence = input.passages.length
    ? input.passages.map((p, i) => `[${i + 1}] (${p.title ? `${p.source} › ${p.title}` : p.source})\n${p.text.trim()}`).join('\n\n')
    : '(no passages found)'
  const system = [
    `You are ${input.name}, a customer-service assistant. Answer the customer's last message using only the numbered passages below.`,
    'Quote prices, times and conditions exactly as the passages state them and cite the passage numbers like [1].',
    'If the passages do not answer the question, say so plainly and offer to connect the customer with a human colleague. Never invent order details, prices or policies.',
    `Answer in ${LANGUAGE_NAMES[input.language]}, in at most 120 words.`,
    input.intent ? `The customer's intent appears to be: ${input.intent}.` : '',
    input.instructions ?? '',
    `Passages:\n${evidence}`,
  ]
    .filter(Boolean)
    .join('\n\n')
  // Bounded: a pasted essay (web chat allows 4,000 characters a message) must not buy a huge prompt.
  const clip = (text: string) => (text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text)
  return [{ role: 'system', content: system }, ...input.history.map((m) => ({ ...m, content: clip(m.content) })), { role: 'user', content: clip(input.question) }]
}
