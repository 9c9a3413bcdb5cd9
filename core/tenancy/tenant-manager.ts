import { createHash } from 'node:crypto'
import { existsSync, watch, type FSWatcher } from 'node:fs'
import { readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { DependencyContainer } from 'tsyringe'
import { stringify } from 'yaml'
import type { AuditActor } from '../audit/entry.js'
import { loadTenantFile, type ResolvedTenant } from '../config/load.js'
import { formatProblem, type ConfigProblem } from '../config/problems.js'
import { Tokens } from '../di/tokens.js'
import { KeyedSerialQueue } from '../delivery/keyed-serial-queue.js'
import { sbError } from '../errors.js'
import type { RouteTable } from '../gateway/route-table.js'
import { isTenantSlug } from './tenant-id.js'
import { startTenant, type TenantRuntime } from './tenant-runtime.js'

/** Who asked for a change, for the audit log. */
export interface ChangeOrigin {
  actor: AuditActor
  requestId?: string
  source?: string
}

export interface ReloadOutcome {
  tenant: string
  outcome: 'reloaded' | 'started' | 'stopped' | 'unchanged' | 'invalid' | 'failed'
  problems: ConfigProblem[]
}

const SYSTEM: ChangeOrigin = { actor: { type: 'system', id: 'config-watcher' } }
/** `acme.yaml` → `acme`; anything else in the folder (temp files, `*.removed-…`) is not a tenant. */
const tenantOfFile = (name: string): string | undefined => {
  const id = /^(.+)\.ya?ml$/.exec(name)?.[1]
  return id !== undefined && isTenantSlug(id) ? id : undefined
}
const DEBOUNCE_MS = 200
/**
 * Also look every so often: inotify misses changes made by swapping a symlink (how Kubernetes
 * updates a mounted ConfigMap), and a watch can fail on network filesystems.
 */
const RESCAN_MS = 15_000

/**
 * The set of running tenants and every change to it: start at boot, hot reload when a tenant
 * file changes (or the admin API asks), add and remove. Changes to one tenant are serialised;
 * different tenants change independently, and no change touches another tenant's runtime.
 * An invalid file never replaces a running tenant: the problems are logged with their paths and
 * audited, and the old runtime keeps serving.
 */
export class TenantManager {
  readonly #runtimes = new Map<string, TenantRuntime>()
  /** sha256 of the file text each tenant runs, so a touch or our own write reloads nothing. */
  readonly #applied = new Map<string, string>()
  readonly #lastProblems = new Map<string, { at: Date; problems: ConfigProblem[] }>()
  /** One change per tenant at a time, in the order asked. */
  readonly #serial = new KeyedSerialQueue()
  readonly #debounce = new Map<string, NodeJS.Timeout>()
  #watcher: FSWatcher | undefined
  #rescan: NodeJS.Timeout | undefined

  constructor(
    private readonly root: DependencyContainer,
    private readonly routes: RouteTable,
    private readonly options: { configDir: string; env?: NodeJS.ProcessEnv; log: Logger; only?: string },
  ) {}

  get ids(): string[] {
    return [...this.#runtimes.keys()]
  }
  get(id: string): TenantRuntime | undefined {
    return this.#runtimes.get(id)
  }
  list(): TenantRuntime[] {
    return [...this.#runtimes.values()]
  }
  /** The problems of the last rejected change, until a change is accepted. */
  lastProblems(id: string): { at: Date; problems: ConfigProblem[] } | undefined {
    return this.#lastProblems.get(id)
  }

  /** Starts the tenants of the boot configuration; a failure stops the ones already started. */
  async startAll(tenants: readonly ResolvedTenant[]): Promise<void> {
    try {
      for (const tenant of tenants) {
        this.#runtimes.set(tenant.id, await startTenant(this.root, tenant, this.routes))
        this.#applied.set(tenant.id, await this.#hashOf(tenant.id))
      }
    } catch (error) {
      await this.stopAll()
      throw error
    }
  }

  /** Picks up pending turns and replies of a tenant (after boot, or when it is added later). */
  async recover(id: string): Promise<void> {
    const recovered = await this.root.resolve(Tokens.Delivery).recover(id)
    if (recovered.turns + recovered.replies > 0) this.options.log.info({ tenant: id, ...recovered }, 'recovered work interrupted by the last stop')
  }

  /** Re-reads `tenants/<id>.yaml` and applies it: reload, start (new file) or stop (file gone). */
  reload(id: string, origin: ChangeOrigin = SYSTEM, options: { force?: boolean } = {}): Promise<ReloadOutcome> {
    return this.#serial.call(id, () => this.#apply(id, origin, options.force ?? false))
  }

  /**
   * Validates a new tenant's document, starts it and writes its file. Its audit chain begins with
   * the change; a refused document leaves no trace under the tenant (the caller's request is audited).
   */
  add(id: string, document: unknown, origin: ChangeOrigin): Promise<ReloadOutcome> {
    return this.#serial.call(id, async () => {
      this.#checkServed(id)
      const file = this.#fileOf(id)
      if (this.#runtimes.has(id) || existsSync(join(this.options.configDir, file))) throw sbError('SB_ERR_CONFLICT', `tenant "${id}" already exists`)
      const text = stringify(document)
      const loaded = await loadTenantFile({ dir: this.options.configDir, file, registry: this.root.resolve(Tokens.Plugins), env: this.options.env, text })
      if (!loaded.tenant) throw rejected(id, loaded.problems)
      const runtime = await startTenant(this.root, loaded.tenant, this.routes).catch((error: Error) => {
        throw rejected(id, [{ file, path: '', message: error.message }])
      })
      try {
        await writeAtomically(join(this.options.configDir, file), text)
      } catch (error) {
        await runtime.stop()
        throw sbError('SB_ERR_CONFLICT', `the config folder is not writable (${(error as NodeJS.ErrnoException).code}); add the tenant file through your deployment instead`)
      }
      this.#runtimes.set(id, runtime)
      this.#applied.set(id, sha256(text))
      await this.#audit(id, origin, 'success', { change: 'added', config: loaded.tenant.display })
      await this.recover(id)
      return { tenant: id, outcome: 'started', problems: [] }
    })
  }

  /** Stops a tenant and sets its file aside (`<id>.yaml.removed-<time>`); its data and audit log stay. */
  remove(id: string): Promise<ReloadOutcome> {
    return this.#serial.call(id, async () => {
      const runtime = this.#runtimes.get(id)
      if (!runtime) throw sbError('SB_ERR_NOT_FOUND')
      const path = join(this.options.configDir, runtime.config.file)
      try {
        if (existsSync(path)) await rename(path, `${path}.removed-${new Date().toISOString().replaceAll(':', '')}`)
      } catch (error) {
        throw sbError('SB_ERR_CONFLICT', `the config folder is not writable (${(error as NodeJS.ErrnoException).code}); remove the tenant file through your deployment instead`)
      }
      await this.#stop(id)
      return { tenant: id, outcome: 'stopped', problems: [] }
    })
  }

  /** Watches the tenants folder; each changed file is applied after a short quiet period. */
  watch(): void {
    const dir = join(this.options.configDir, 'tenants')
    if (this.#watcher || !existsSync(dir)) return
    this.#watcher = watch(dir, (_event, filename) => {
      const id = filename ? tenantOfFile(filename.toString()) : undefined
      if (!id || (this.options.only && id !== this.options.only)) return
      clearTimeout(this.#debounce.get(id))
      const timer = setTimeout(() => {
        this.#debounce.delete(id)
        this.reload(id).catch((error) => this.options.log.error({ err: error, tenant: id }, 'tenant reload failed'))
      }, DEBOUNCE_MS)
      timer.unref()
      this.#debounce.set(id, timer)
    })
    this.#watcher.on('error', (error) => this.options.log.warn({ err: error }, 'tenant folder watch failed; changes are picked up by the periodic rescan'))
    this.#rescan = setInterval(() => void this.rescan(), RESCAN_MS)
    this.#rescan.unref()
  }

  /** Applies whatever changed on disk since the last look; unchanged files cost a read and a hash. */
  async rescan(): Promise<void> {
    const dir = join(this.options.configDir, 'tenants')
    const onDisk = existsSync(dir) ? (await readdir(dir)).map(tenantOfFile).filter((id): id is string => id !== undefined) : []
    const ids = new Set([...onDisk, ...this.#runtimes.keys()].filter((id) => !this.options.only || id === this.options.only))
    for (const id of ids) await this.reload(id).catch((error) => this.options.log.error({ err: error, tenant: id }, 'tenant reload failed'))
  }

  async stopAll(): Promise<void> {
    this.#watcher?.close()
    this.#watcher = undefined
    clearInterval(this.#rescan)
    for (const timer of this.#debounce.values()) clearTimeout(timer)
    this.#debounce.clear()
    for (const id of [...this.#runtimes.keys()]) await this.#stop(id)
  }

  async #apply(id: string, origin: ChangeOrigin, force: boolean): Promise<ReloadOutcome> {
    this.#checkServed(id)
    const file = this.#fileOf(id)
    const path = join(this.options.configDir, file)
    const running = this.#runtimes.get(id)
    if (!existsSync(path)) {
      // Gone and not running: already removed (the watcher sees our own remove's rename).
      if (!running) return { tenant: id, outcome: 'unchanged', problems: [] }
      await this.#stop(id)
      await this.#audit(id, origin, 'success', { change: 'file removed; tenant stopped' })
      return { tenant: id, outcome: 'stopped', problems: [] }
    }
    const text = await readFile(path, 'utf8')
    if (!force && running && this.#applied.get(id) === sha256(text)) return { tenant: id, outcome: 'unchanged', problems: [] }
    const loaded = await loadTenantFile({ dir: this.options.configDir, file, registry: this.root.resolve(Tokens.Plugins), env: this.options.env, text })
    if (!loaded.tenant) {
      this.#lastProblems.set(id, { at: new Date(), problems: loaded.problems })
      this.options.log.error({ tenant: id, problems: loaded.problems.map(formatProblem) }, `${file} is invalid; ${running ? 'the running configuration keeps serving' : 'the tenant is not started'}`)
      await this.#audit(id, origin, 'invalid', { problems: loaded.problems.map(formatProblem) })
      return { tenant: id, outcome: 'invalid', problems: loaded.problems }
    }
    try {
      if (running) await running.reload(loaded.tenant)
      else this.#runtimes.set(id, await startTenant(this.root, loaded.tenant, this.routes))
    } catch (error) {
      const problems = [{ file, path: '', message: (error as Error).message }]
      this.#lastProblems.set(id, { at: new Date(), problems })
      this.options.log.error({ err: error, tenant: id }, 'tenant configuration failed to start; the running configuration keeps serving')
      await this.#audit(id, origin, 'failure', { error: (error as Error).message })
      return { tenant: id, outcome: 'failed', problems }
    }
    this.#applied.set(id, sha256(text))
    this.#lastProblems.delete(id)
    await this.#audit(id, origin, 'success', { config: loaded.tenant.display })
    if (!running) await this.recover(id)
    return { tenant: id, outcome: running ? 'reloaded' : 'started', problems: [] }
  }

  async #stop(id: string): Promise<void> {
    const runtime = this.#runtimes.get(id)
    if (!runtime) return
    this.#runtimes.delete(id)
    this.#applied.delete(id)
    for (const channel of runtime.channels.values()) await channel.connection.drain?.().catch(() => {})
    await runtime.stop()
  }

  #checkServed(id: string): void {
    if (this.options.only && id !== this.options.only) {
      throw sbError('SB_ERR_CONFLICT', `this gateway serves only tenant "${this.options.only}"`)
    }
  }

  #fileOf(id: string): string {
    return this.#runtimes.get(id)?.config.file ?? (existsSync(join(this.options.configDir, 'tenants', `${id}.yml`)) ? `tenants/${id}.yml` : `tenants/${id}.yaml`)
  }

  async #hashOf(id: string): Promise<string> {
    return sha256(await readFile(join(this.options.configDir, this.#fileOf(id)), 'utf8').catch(() => ''))
  }

  /**
   * Every change to a tenant's configuration — by file or by API, accepted or refused — is a
   * `config.reload` entry in its chain, durable before the change is reported done.
   */
  #audit(tenant: string, origin: ChangeOrigin, outcome: 'success' | 'invalid' | 'failure', details: Record<string, unknown>) {
    return this.root
      .resolve(Tokens.Audit)
      .record({ tenant, actor: origin.actor, action: 'config.reload', target: `tenant:${tenant}`, outcome, requestId: origin.requestId, source: origin.source, details })
      .catch((error) => this.options.log.error({ err: error, tenant }, 'could not audit a configuration change'))
  }
}

function rejected(id: string, problems: ConfigProblem[]) {
  return sbError(
    'SB_ERR_TENANT_CONFIG_REJECTED',
    `the configuration of tenant "${id}" has ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
    problems.map((p) => ({ path: p.path, message: p.message })),
  )
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** A half-written tenant file must never be what the watcher (or a restart) reads. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`
  await writeFile(temp, text, { flag: 'wx' })
  await rename(temp, path)
}
