import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The key that signs session tokens. Configured in production (every replica must share it);
 * otherwise generated once and kept in the data folder so visitors keep their conversations
 * across restarts of a laptop gateway.
 */
export async function loadSessionSecret(configured: string | undefined, dataDir: string): Promise<{ key: Uint8Array; source: 'config' | 'file' | 'generated' }> {
  if (configured) return { key: new TextEncoder().encode(configured), source: 'config' }
  const file = join(dataDir, 'session-secret')
  try {
    const stored = (await readFile(file, 'utf8')).trim()
    if (stored.length >= 32) return { key: new TextEncoder().encode(stored), source: 'file' }
  } catch {
    // not there yet
  }
  const generated = randomBytes(32).toString('base64url')
  await mkdir(dataDir, { recursive: true })
  await writeFile(file, `${generated}\n`, { mode: 0o600 })
  return { key: new TextEncoder().encode(generated), source: 'generated' }
}
