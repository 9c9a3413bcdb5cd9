import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import type { FaqCase } from './messages.js'

export const TENANT = 'bench'

/** What the client asks, round-robin, and the exact answer the rules agent must reply with. */
export const FAQ: readonly (FaqCase & { id: string; keywords: string[] })[] = [
  {
    id: 'hours',
    question: 'What are your opening hours?',
    keywords: ['opening hours', 'open', 'hours'],
    answer: "We're open Monday to Friday, 9:00–18:00 CET, and Saturday 10:00–14:00.",
  },
  {
    id: 'shipping',
    question: 'How long does shipping take?',
    keywords: ['shipping', 'delivery', 'ship'],
    answer: 'Standard delivery takes 2–4 business days; express delivery arrives the next business day.',
  },
  {
    id: 'refund',
    question: 'How do I get a refund?',
    keywords: ['refund', 'return', 'money back'],
    answer: 'You can return any item within 30 days; refunds reach your payment method within 5 business days.',
  },
]

/**
 * A config folder with one tenant: the web-chat channel with limits raised so the benchmark
 * measures the gateway rather than its throttling, and the FAQ agent (no LLM, no network).
 */
export async function writeGatewayConfig(dir: string): Promise<void> {
  await mkdir(join(dir, 'tenants'), { recursive: true })
  await writeFile(join(dir, 'gateway.yaml'), '{}\n')
  const tenant = {
    id: TENANT,
    name: 'ws-chat benchmark',
    locale: 'en',
    channels: [
      {
        id: 'web',
        type: 'websocket',
        config: { rateLimit: { frames: 100_000, perSeconds: 1 }, heartbeatSeconds: 60, connectionsPerMinute: 1_000_000 },
      },
    ],
    plugins: [
      {
        id: 'faq',
        type: 'rules',
        config: { faq: FAQ.map(({ id, question, keywords, answer }) => ({ id, question, keywords, answer })) },
      },
    ],
  }
  await writeFile(join(dir, 'tenants', `${TENANT}.yaml`), stringify(tenant))
}
