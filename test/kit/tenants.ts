import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'

export interface WebchatTenant {
  id: string
  /** What the bot says to every message matching `pattern`. */
  reply?: string
  pattern?: string
  limits?: { messagesPerMinute?: number; concurrentTurns?: number; openSockets?: number }
  /** The web-chat channel's config. */
  websocket?: Record<string, unknown>
}

/** A tenant file: web chat and one rule, enough for a test to chat with a predictable bot. */
export function webchatTenant({ id, reply = 'noted', pattern = '.', limits, websocket = {} }: WebchatTenant): string {
  return stringify({
    id,
    ...(limits ? { limits } : {}),
    channels: [{ id: 'web', type: 'websocket', config: websocket }],
    plugins: [{ id: 'faq', type: 'rules', config: { rules: [{ id: 'echo', pattern, reply }] } }],
  })
}

/** A config folder of the test's own (never the repository's), with these tenant files. */
export async function tempConfig(tenants: Record<string, string>, options: { demoKnowledge?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'sb-config-'))
  await mkdir(join(dir, 'tenants'))
  // Knowledge folders must live inside the config folder; tests get their own copy of the demo's.
  if (options.demoKnowledge) await cp(new URL('../../config/knowledge/demo', import.meta.url).pathname, join(dir, 'knowledge', 'demo'), { recursive: true })
  const write = (id: string, text: string) => writeFile(join(dir, 'tenants', `${id}.yaml`), text)
  for (const [id, text] of Object.entries(tenants)) await write(id, text)
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * A tenant whose agent writes answers with an OpenAI-compatible LLM at `llmUrl` (the key comes
 * from $FAKE_OPENAI_KEY), grounded in the demo knowledge base (`tempConfig(…, { demoKnowledge: true })` copies it in).
 */
export function llmAgentTenant(id: string, llmUrl: string, llm: Record<string, unknown> = {}): string {
  return stringify({
    id,
    channels: [{ id: 'web', type: 'websocket' }],
    plugins: [
      { id: 'llm', type: 'llm', config: { baseURL: llmUrl, apiKey: '${env:FAKE_OPENAI_KEY}', model: 'gpt-4o-mini', ...llm } },
      { id: 'intent', type: 'intent' },
      { id: 'sentiment', type: 'sentiment' },
      { id: 'kb', type: 'knowledge', config: { folder: 'knowledge/demo' } },
      { id: 'agent', type: 'agent', config: { provider: 'openai' } },
    ],
  })
}

/** A well-behaved model for the agent's prompt: quotes the first line of passage [1] and cites it. */
export const quotingModel = ({ messages }: { messages: { content?: unknown }[] }): string => {
  const system = String(messages[0]?.content ?? '')
  const passage = /^\[1\] \(.*\)\n(.+)$/m.exec(system)?.[1] ?? 'I do not know.'
  return `${passage.trim()} [1]`
}

/**
 * The full support desk a shop runs: who is writing, handoff to people, tickets, then the bot
 * (intent, sentiment, the demo knowledge base — `tempConfig(…, { demoKnowledge: true })` — and
 * the built-in agent). Handoff sits early so a conversation a person owns never reaches the bot.
 */
export function supportDeskPlugins(): Record<string, unknown>[] {
  return [
    { id: 'customers', type: 'customers' },
    { id: 'handoff', type: 'handoff' },
    { id: 'ticketing', type: 'ticketing' },
    { id: 'intent', type: 'intent' },
    { id: 'sentiment', type: 'sentiment' },
    { id: 'kb', type: 'knowledge', config: { folder: 'knowledge/demo' } },
    { id: 'agent', type: 'agent', config: { provider: 'builtin' } },
  ]
}
