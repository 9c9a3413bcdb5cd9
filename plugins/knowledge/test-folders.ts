import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { KnowledgeLog } from './sources.js'

/** A temp root for one test file's knowledge folders and data dirs; `cleanup` in afterAll. */
export async function tempRoot(): Promise<{ root: string; folder: (name: string, files: Record<string, string | Buffer>) => Promise<string>; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'switchboard-kb-'))
  return {
    root,
    async folder(name, files) {
      const dir = join(root, name)
      await mkdir(dir, { recursive: true })
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true })
        await writeFile(join(dir, path), content)
      }
      return dir
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'debug'
  obj: Record<string, unknown>
  msg: string
}

/** A log that keeps what it was told, to assert on skipped files and warnings. */
export function recordingLog(): KnowledgeLog & { entries: LogEntry[] } {
  const entries: LogEntry[] = []
  const at = (level: LogEntry['level']) => (obj: object, msg: string) => void entries.push({ level, obj: obj as Record<string, unknown>, msg })
  return { entries, info: at('info'), warn: at('warn'), debug: at('debug') }
}
