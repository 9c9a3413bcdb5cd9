import { rmSync } from 'node:fs'
import { killAll } from './children.js'

/**
 * Whatever happens (normal end, an exception, Ctrl-C, SIGTERM) the children die and the temporary
 * folders go. Async undo steps (dropping the PostgreSQL schema) run on every path that can still
 * await; the synchronous part also runs from the 'exit' handler.
 */
const folders = new Set<string>()
const tasks: (() => Promise<void>)[] = []
let running: Promise<void> | undefined

export function removeOnExit(folder: string): void {
  folders.add(folder)
}

export function onCleanup(task: () => Promise<void>): void {
  tasks.push(task)
}

function cleanupSync(): void {
  killAll()
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
  folders.clear()
}

export function cleanup(): Promise<void> {
  running ??= (async () => {
    killAll()
    for (const task of tasks.splice(0).reverse()) {
      await task().catch((error: Error) => console.error(`cleanup: ${error.message}`))
    }
    cleanupSync()
  })()
  return running
}

export function installCleanupHandlers(): void {
  process.on('exit', cleanupSync)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping children and cleaning up…`)
      const forced = setTimeout(() => process.exit(130), 10_000)
      void cleanup().finally(() => {
        clearTimeout(forced)
        process.exit(130)
      })
    })
  }
}
