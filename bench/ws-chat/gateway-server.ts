// Decorator metadata must be installed before any injectable class is loaded.
import 'reflect-metadata'
import { builtinChannels } from '../../channels/index.js'
import { startGateway } from '../../core/gateway/gateway.js'
import { Tokens } from '../../core/di/tokens.js'
import { PluginRegistry } from '../../core/plugin/registry.js'
import { builtinAgents } from '../../plugins/index.js'
import { failed, report, serveControl, type Diagnostics } from './server-control.js'
import { traceQueries } from './sql-stats.js'
import { stubQueries } from './stub-db.js'

/**
 * The real gateway, the way `switchboard start` runs it: config folder → stores → tenants → HTTP
 * server, with the registry built like test/harness/gateway.ts. Paths come from the orchestrator in
 * the environment (the database URL too, so it never shows up in `ps`).
 */
const configDir = process.env.BENCH_CONFIG_DIR
const dataDir = process.env.BENCH_DATA_DIR
const tenant = process.env.BENCH_TENANT ?? 'bench'
if (!configDir || !dataDir) failed(new Error('BENCH_CONFIG_DIR and BENCH_DATA_DIR are required'))

try {
  const gateway = await startGateway({
    configDir,
    registry: new PluginRegistry({ channels: builtinChannels, agents: builtinAgents }),
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_SHUTDOWN_GRACE_MS: '2000',
      ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
    },
  })
  const db = gateway.container.resolve(Tokens.Database)
  if (process.env.BENCH_STUB_DB) stubQueries(db)
  let diagnostics: Diagnostics = {}
  if (process.env.BENCH_SQL_STATS) {
    const trace = traceQueries(db)
    let window: ReturnType<typeof trace.snapshot> = []
    diagnostics = {
      onWindow: (edge) => (edge === 'start' ? trace.reset() : (window = trace.snapshot())),
      stats: () => ({ sql: window }),
    }
  }
  serveControl(() => gateway.close(), diagnostics)
  report({ type: 'ready', port: gateway.port, pid: process.pid, path: `/t/${tenant}/ws` })
} catch (error) {
  failed(error)
}
