import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
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
export async function tempConfig(tenants: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'sb-config-'))
  await mkdir(join(dir, 'tenants'))
  const write = (id: string, text: string) => writeFile(join(dir, 'tenants', `${id}.yaml`), text)
  for (const [id, text] of Object.entries(tenants)) await write(id, text)
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) }
}
