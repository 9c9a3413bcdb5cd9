import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export interface SpawnOptions {
  /** Extra node flags (e.g. --expose-gc). */
  nodeArgs?: string[]
  env?: NodeJS.ProcessEnv
  /** Pin to one CPU with taskset. */
  cpu?: number
  /** Raise the soft open-file limit for this child (the shell's limit is inherited otherwise). */
  fileLimit?: number
}

const live = new Set<Child>()

/**
 * A TypeScript child (run through tsx) with an IPC channel. The child's pid is the pid we measure:
 * the optional `sh -c 'ulimit …; exec …'` and `taskset` wrappers exec into node, keeping it.
 */
export class Child {
  readonly process: ChildProcess
  readonly exited: Promise<number | null>
  #exitCode: number | null | undefined

  constructor(
    readonly name: string,
    script: string,
    options: SpawnOptions = {},
  ) {
    let command = [process.execPath, '--import', 'tsx', ...(options.nodeArgs ?? []), `${here}${script}`]
    if (options.cpu !== undefined) command = ['taskset', '-c', String(options.cpu), ...command]
    if (options.fileLimit !== undefined) command = ['/bin/sh', '-c', `ulimit -n ${options.fileLimit} && exec "$@"`, 'sh', ...command]
    this.process = spawn(command[0]!, command.slice(1), {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    live.add(this)
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        live.delete(this)
        this.#exitCode = code ?? (signal ? -1 : null)
        resolve(code)
      })
    })
  }

  get pid(): number {
    return this.process.pid!
  }

  get running(): boolean {
    return this.#exitCode === undefined
  }

  send(message: object): void {
    if (this.process.connected) this.process.send(message)
  }

  on<T extends { type: string }>(type: T['type'], listener: (event: T) => void): () => void {
    const handler = (message: T) => {
      if (message?.type === type) listener(message)
    }
    this.process.on('message', handler)
    return () => this.process.off('message', handler)
  }

  /** The next event of `type`; rejects if the child reports a fatal error, exits, or takes too long. */
  next<T extends { type: string }>(type: T['type'], timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        this.process.off('message', onMessage)
        this.process.off('exit', onExit)
      }
      const onMessage = (message: { type: string; message?: string }) => {
        if (message.type === type) {
          done()
          resolve(message as unknown as T)
        } else if (message.type === 'fatal') {
          done()
          reject(new Error(`${this.name} failed: ${message.message}`))
        }
      }
      const onExit = (code: number | null, signal: string | null) => {
        done()
        reject(new Error(`${this.name} exited (${signal ?? code}) while we waited for "${type}"`))
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${this.name}: no "${type}" within ${timeoutMs / 1000} s`))
      }, timeoutMs)
      this.process.on('message', onMessage)
      this.process.once('exit', onExit)
    })
  }

  request<T extends { type: string }>(message: object, reply: T['type'], timeoutMs: number): Promise<T> {
    const answer = this.next<T>(reply, timeoutMs)
    this.send(message)
    return answer
  }

  /** Waits up to `graceMs` for the child to exit on its own, then kills it. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return
    const timer = setTimeout(() => this.kill(), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  kill(): void {
    if (this.running) this.process.kill('SIGKILL')
  }
}

/** Synchronous, so it also works from an 'exit' handler. */
export function killAll(): void {
  for (const child of live) child.kill()
}
