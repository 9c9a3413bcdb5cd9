import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { switchboardBin } from './cli.js'

export interface GatewayProcessOptions {
  configDir: string
  /** PostgreSQL; without it the process uses its embedded PGlite in `dataDir`. */
  databaseUrl?: string
  /** A port chosen beforehand (a platform fake may need the webhook URL first); default: a free one. */
  port?: number
  env?: Record<string, string>
}

/** The gateway as operators run it, in a process of its own that a test can kill outright. */
export interface GatewayProcess {
  readonly url: string
  readonly port: number
  readonly dataDir: string
  /** SIGKILL: no drain, no flush, no undo — what a crashed pod or an OOM kill leaves behind. */
  kill(): Promise<void>
  /** Starts it again on the same port and data. */
  start(): Promise<void>
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<void>
  /** Stops it (if running) and removes its data. */
  close(): Promise<void>
  /** What the process printed, for failure messages. */
  output(): string
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-process-'))
  const port = options.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  let output = ''
  const exited = () => new Promise<void>((resolve) => (child && child.exitCode === null && child.signalCode === null ? child.once('exit', () => resolve()) : resolve()))

  async function start(): Promise<void> {
    output = ''
    child = spawn(process.execPath, [switchboardBin, 'start', '--config', options.configDir], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: process.env.SWITCHBOARD_TEST_LOG ?? 'warn',
        SWITCHBOARD_DATA_DIR: dataDir,
        SWITCHBOARD_SHUTDOWN_GRACE_MS: '3000',
        // As in any deployment that restarts: web-chat sessions must outlive the process.
        SWITCHBOARD_SESSION_SECRET: 'contract-kit-session-secret-0123456789',
        ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    const deadline = Date.now() + 30_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${output}`)
      const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false)
      if (ready) return
      if (Date.now() > deadline) throw new Error(`the gateway was not ready within 30 s:\n${output}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  await start()
  return {
    url,
    port,
    dataDir,
    start,
    async kill() {
      const done = exited()
      child?.kill('SIGKILL')
      await done
    },
    async stop() {
      const done = exited()
      child?.kill('SIGTERM')
      await done
    },
    async close() {
      const done = exited()
      child?.kill('SIGTERM')
      await done
      await rm(dataDir, { recursive: true, force: true })
    },
    output: () => output,
  }
}
