import 'reflect-metadata'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { builtinChannels } from '../../channels/index.js'
import { openDatabase } from '../../core/store/open.js'
import { startGateway, type RunningGateway } from '../../core/gateway/gateway.js'
import { PluginRegistry } from '../../core/plugin/registry.js'
import { builtinAgents } from '../../plugins/index.js'

export const repoConfigDir = new URL('../../config/', import.meta.url).pathname

export interface TestGatewayOptions {
  /** Defaults to the repository's config/ (the demo tenant). */
  configDir?: string
  /** Defaults to a fresh temporary folder, removed by close(). */
  dataDir?: string
  databaseUrl?: string
  env?: Record<string, string>
}

export interface TestGateway {
  readonly url: string
  readonly wsUrl: (tenant?: string) => string
  readonly port: number
  readonly dataDir: string
  readonly gateway: RunningGateway
  /** Graceful stop, then a start on the same port and data folder. */
  restart(): Promise<void>
  /** Every connection drops at once (no goodbye, no closing handshake), then the gateway restarts. */
  crash(): Promise<void>
  close(): Promise<void>
}

let pgliteFolder: Promise<string> | undefined

/**
 * A migrated embedded database's files, made once per test process: a new gateway starts from a
 * copy of them instead of spending seconds in PGlite's initdb and the migrations.
 */
function migratedPgliteFolder(): Promise<string> {
  return (pgliteFolder ??= (async () => {
    const folder = join(await mkdtemp(join(tmpdir(), 'switchboard-pglite-template-')), 'pglite')
    const db = await openDatabase({ kind: 'pglite', dataDir: folder })
    await db.close()
    process.once('exit', () => rmSync(dirname(folder), { recursive: true, force: true }))
    return folder
  })())
}

export const testRegistry = () => new PluginRegistry({ channels: builtinChannels, agents: builtinAgents })

/** The real gateway on 127.0.0.1 and an ephemeral port, with its own embedded database. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const ownDataDir = !options.dataDir
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'switchboard-test-')))
  if (ownDataDir && !options.databaseUrl) await cp(await migratedPgliteFolder(), join(dataDir, 'pglite'), { recursive: true })
  const baseEnv: NodeJS.ProcessEnv = {
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.SWITCHBOARD_TEST_LOG ?? 'silent',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_SHUTDOWN_GRACE_MS: '3000',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  }
  const boot = (port: number) => startGateway({ configDir: options.configDir ?? repoConfigDir, registry: testRegistry(), env: { ...baseEnv, PORT: String(port) } })
  const sockets = new Set<Socket>()
  const track = (running: RunningGateway) => {
    running.server.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    })
    return running
  }
  let gateway = track(await boot(0))
  const port = gateway.port
  let stopped = false
  return {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    wsUrl: (tenant = 'demo') => `ws://127.0.0.1:${port}/t/${tenant}/ws`,
    port,
    dataDir,
    get gateway() {
      return gateway
    },
    async restart() {
      await gateway.close()
      gateway = track(await boot(port))
    },
    async crash() {
      for (const socket of sockets) socket.destroy()
      await gateway.close()
      gateway = track(await boot(port))
    },
    async close() {
      if (stopped) return
      stopped = true
      await gateway.close()
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true })
    },
  }
}
