import type { Turn } from '../../core/index.js'
import { LlmUnavailableError, type ChatMessage, type LlmService } from '../llm/types.js'
import type { IntentResult } from './types.js'

/** What each built-in intent covers, so the LLM draws the same lines the training data does. */
const DESCRIPTIONS: Record<string, string> = {
  greeting: 'says hello or checks someone is there',
  goodbye: 'says bye, thanks, or that they need nothing more',
  product_inquiry: 'asks about products, prices, stock, features or buying',
  order_status: 'asks where an order or delivery is, or about changing it',
  refund_request: 'wants a refund, return, exchange or to cancel an order',
  billing: 'asks about charges, invoices, payment methods or subscriptions fees',
  technical_support: 'reports something not working, or asks how to use or log in',
  complaint: 'complains about service, staff or quality',
  human_agent: 'asks to talk to a human',
  other: 'anything else',
}

export function intentPrompt(text: string, intents: readonly string[], examples: ReadonlyMap<string, readonly string[]>): ChatMessage[] {
  const lines = intents.map((name) => {
    const described = DESCRIPTIONS[name] ?? `like: ${(examples.get(name) ?? []).slice(0, 3).map((e) => JSON.stringify(e)).join(', ')}`
    return `- ${name}: ${described}`
  })
  return [
    {
      role: 'system',
      content: [
        'You classify one customer-service message (Chinese, English or both) by intent.',
        'Answer with exactly one intent name from this list and nothing else:',
        ...lines,
      ].join('\n'),
    },
    // The intent shows in the opening words; a pasted essay need not be paid for.
    { role: 'user', content: text.slice(0, 500) },
  ]
}

/** The LLM's answer as an intent name, or undefined unless it is exactly one of ours. */
export function parseIntent(answer: string, intents: readonly string[]): string | undefined {
  const cleaned = answer
    .trim()
    .replace(/^["'`*\s]+|["'`*.。!\s]+$/g, '')
    .toLowerCase()
  return intents.includes(cleaned) ? cleaned : undefined
}

/** How long the intent plugin waits for the LLM's opinion. */
const INTENT_LLM_MS = 2_000
/** Left of the turn for everything after classification (retrieval, the answer, the commit). */
const ANSWER_RESERVE_MS = 5_000

/**
 * Asks the LLM to settle a message the built-in model was unsure about. Any failure (down,
 * budget spent, deadline, nonsense answer) keeps the built-in result: the turn must go on.
 */
export async function askLlm(llm: LlmService, turn: Turn, builtin: IntentResult, intents: readonly string[], examples: ReadonlyMap<string, readonly string[]>, floor: number): Promise<IntentResult> {
  let answer: string
  try {
    const result = await llm.chat(intentPrompt(turn.activity.text, intents, examples), {
      purpose: 'intent',
      signal: turn.signal,
      // A second opinion on the intent is worth a moment, not the turn: the answer still has to be written.
      deadline: Math.min(Date.now() + INTENT_LLM_MS, turn.deadline - ANSWER_RESERVE_MS),
      maxTokens: 10,
      temperature: 0,
    })
    answer = result.text
  } catch (error) {
    if (error instanceof LlmUnavailableError) turn.log.debug({ reason: error.reason }, 'intent: LLM unavailable, keeping the built-in intent')
    else turn.log.warn({ err: error }, 'intent: LLM call failed, keeping the built-in intent')
    return builtin
  }
  const name = parseIntent(answer, intents)
  if (!name) {
    turn.log.debug({ answer }, 'intent: LLM answered something that is not an intent; keeping the built-in intent')
    return builtin
  }
  const ranked = [builtin, ...builtin.alternatives]
  const agreed = ranked.find((s) => s.name === name)?.confidence ?? 0
  // The LLM gives no probability; it was asked because the model fell below `floor`, and its
  // answer is trusted at least that much.
  return {
    name,
    confidence: Math.max(agreed, floor),
    source: 'llm',
    alternatives: ranked.filter((s) => s.name !== name).map(({ name, confidence }) => ({ name, confidence })).slice(0, builtin.alternatives.length),
  }
}
