import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import type { ServerEvent, ServerRequest } from './messages.js'

/**
 * The orchestrator's handle on a server child: GC before memory samples, a CPU profile of exactly
 * the measured window, and a stop. Shared by the echo and gateway servers so both are measured
 * the same way.
 */
export function report(event: ServerEvent): void {
  process.send?.(event)
}

export interface Diagnostics {
  onWindow?(edge: 'start' | 'end'): void
  /** Whatever the server measured about itself during the window (JSON). */
  stats?(): unknown
}

export function serveControl(stop: () => Promise<void>, diagnostics: Diagnostics = {}): void {
  // The orchestrator is gone (killed, crashed): nothing will ever stop us, so stop now.
  process.on('disconnect', () => process.exit(0))
  let session: Session | undefined
  process.on('message', (message: ServerRequest) => {
    void handle(message).catch((error: Error) => report({ type: 'fatal', message: error.stack ?? error.message }))
  })

  async function handle(message: ServerRequest): Promise<void> {
    switch (message.cmd) {
      case 'gc': {
        const gc = (globalThis as { gc?: () => void }).gc
        // Twice, a tick apart: the first pass can leave finalizer-held garbage for the second.
        // (The 'last-resort' flavour was tried: it made PGlite's baseline swing by hundreds of MiB.)
        gc?.()
        await new Promise((r) => setImmediate(r))
        gc?.()
        return report({ type: 'memory', usage: process.memoryUsage(), gc: Boolean(gc) })
      }
      case 'profile-start':
        session = new Session()
        session.connect()
        await session.post('Profiler.enable')
        await session.post('Profiler.setSamplingInterval', { interval: 250 })
        await session.post('Profiler.start')
        return report({ type: 'profile-started' })
      case 'profile-stop': {
        if (!session) throw new Error('profile-stop without profile-start')
        const { profile } = await session.post('Profiler.stop')
        session.disconnect()
        session = undefined
        await writeFile(message.file, JSON.stringify(profile))
        return report({ type: 'profile-stopped', file: message.file })
      }
      case 'window':
        return diagnostics.onWindow?.(message.edge)
      case 'stats':
        return report({ type: 'stats', stats: diagnostics.stats?.() ?? null })
      case 'stop':
        await stop()
        process.exit(0)
    }
  }
}

/** Reports a startup failure to the orchestrator instead of dying silently. */
export function failed(error: unknown): never {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
  report({ type: 'fatal', message: text })
  console.error(text)
  process.exit(1)
}
