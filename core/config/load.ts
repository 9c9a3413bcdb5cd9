import { existsSync } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { parseDocument } from 'yaml'
import { sbError } from '../errors.js'
import type { AgentPlugin } from '../plugin/agent.js'
import type { ChannelPlugin } from '../plugin/channel.js'
import type { PluginKind, PluginRegistry } from '../plugin/registry.js'
import { GatewayConfig } from './gateway-schema.js'
import { deepFreeze, joinPath, zodProblems, type ConfigProblem } from './problems.js'
import { redact, resolveSecretFields, resolveSecretRefs, strayReferences, type SecretSources } from './secret.js'
import { TenantConfig, type TenantLimitsConfig } from './tenant-schema.js'

export interface ResolvedEntry<P> {
  id: string
  type: string
  enabled: boolean
  /** Validated against the plugin's schema and frozen. */
  config: unknown
  plugin: P
}

export interface ResolvedTenant {
  id: string
  name: string
  locale: string
  /** The config folder the tenant file was read from (absolute): relative paths in entries start here. */
  dir: string
  file: string
  limits: TenantLimitsConfig
  channels: ResolvedEntry<ChannelPlugin>[]
  plugins: ResolvedEntry<AgentPlugin>[]
  /** The tenant config with every secret redacted, safe to log or show. */
  display: unknown
}

export interface LoadedConfig {
  dir: string
  gateway: GatewayConfig
  gatewayDisplay: unknown
  tenants: ResolvedTenant[]
  problems: ConfigProblem[]
}

export interface LoadOptions {
  dir: string
  registry: PluginRegistry
  env?: NodeJS.ProcessEnv
}

/** Reserved under `/t/<tenant>/` for web chat; never a channel instance id. */
export const RESERVED_INSTANCE_IDS = ['ws', 'chat'] as const

const GATEWAY_FILES = ['gateway.yaml', 'gateway.yml']

/**
 * Loads a config folder (gateway.yaml + tenants/*.yaml) in two phases: each document's envelope,
 * then every channel and plugin entry against its plugin's schema. Every problem in every file is
 * collected; the caller decides whether to refuse to start.
 */
export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const dir = resolve(options.dir)
  const env = options.env ?? process.env
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) {
    throw sbError('SB_ERR_CONFIG_NOT_FOUND', `config folder ${dir} does not exist`)
  }
  const problems: ConfigProblem[] = []
  const gatewayFile = GATEWAY_FILES.find((f) => existsSync(join(dir, f)))
  const rawGateway = gatewayFile ? await readYaml(dir, gatewayFile, problems) : {}
  const gatewayParsed = GatewayConfig.safeParse(applyEnvOverrides(rawGateway, env, dir, gatewayFile ?? 'gateway.yaml', problems))
  if (!gatewayParsed.success) problems.push(...zodProblems(gatewayParsed.error, gatewayFile ?? 'gateway.yaml'))
  const gateway = gatewayParsed.success ? gatewayParsed.data : GatewayConfig.parse({})

  const tenantsDir = join(dir, 'tenants')
  const files = existsSync(tenantsDir) ? (await readdir(tenantsDir)).filter((f) => ['.yaml', '.yml'].includes(extname(f))).sort() : []
  if (files.length === 0) problems.push({ file: 'tenants/', path: '', message: 'no tenant files (tenants/<id>.yaml) found' })
  const tenants: ResolvedTenant[] = []
  for (const file of files) {
    const loaded = await loadTenantFile({ dir, file: `tenants/${file}`, registry: options.registry, env })
    problems.push(...loaded.problems)
    if (loaded.tenant) tenants.push(loaded.tenant)
  }
  const selected = gateway.tenant ? tenants.filter((t) => t.id === gateway.tenant) : tenants
  if (gateway.tenant && selected.length === 0 && !problems.some((p) => p.file.startsWith('tenants/'))) {
    problems.push({ file: gatewayFile ?? 'environment', path: 'tenant', message: `tenant "${gateway.tenant}" has no file tenants/${gateway.tenant}.yaml` })
  }
  return { dir, gateway: deepFreeze(gateway), gatewayDisplay: redact(GatewayConfig, gateway), tenants: selected, problems }
}

/**
 * Loads and validates one tenant file, independently of the others. `text` validates a document
 * not yet written (a tenant added through the admin API) as if it were that file.
 */
export async function loadTenantFile(options: { dir: string; file: string; registry: PluginRegistry; env?: NodeJS.ProcessEnv; text?: string }): Promise<{
  tenant?: ResolvedTenant
  problems: ConfigProblem[]
}> {
  const { dir, file, registry } = options
  const problems: ConfigProblem[] = []
  const raw = await readYaml(dir, file, problems, options.text)
  if (problems.length > 0) return { problems }
  const envelope = TenantConfig.safeParse(raw)
  if (!envelope.success) return { problems: [...problems, ...zodProblems(envelope.error, file)] }
  const config = envelope.data
  const sources = { env: options.env ?? process.env, baseDir: dir }
  const { channels: _c, plugins: _p, ...own } = config
  problems.push(...strayReferences(own, '').map((p) => ({ file, ...p })))
  const expectedId = basename(file, extname(file))
  if (config.id !== expectedId) problems.push({ file, path: 'id', message: `must match the file name ("${expectedId}")` })

  const channels = resolveEntries('channels', config.channels, registry, file, sources, problems, (type) => registry.channel(type))
  const plugins = resolveEntries('plugins', config.plugins, registry, file, sources, problems, (type) => registry.agent(type))
  checkChannelPaths(config, channels, file, problems)
  checkRequires(plugins, file, problems)
  if (problems.length > 0) return { problems }
  const display = {
    ...config,
    channels: config.channels.map((e, i) => ({ ...e, config: redact(channels[i]!.plugin.manifest.config, channels[i]!.config) })),
    plugins: config.plugins.map((e, i) => ({ ...e, config: redact(plugins[i]!.plugin.manifest.config, plugins[i]!.config) })),
  }
  return {
    problems,
    // Entry configs are deep-frozen already; the plugin objects (and their zod schemas) must not be.
    tenant: Object.freeze({
      id: config.id,
      name: config.name ?? config.id,
      locale: config.locale,
      dir: resolve(dir),
      file,
      limits: deepFreeze(config.limits),
      channels,
      plugins,
      display: deepFreeze(display),
    }),
  }
}

function resolveEntries<P extends ChannelPlugin | AgentPlugin>(
  kind: PluginKind,
  entries: TenantConfig['channels'],
  registry: PluginRegistry,
  file: string,
  sources: SecretSources,
  problems: ConfigProblem[],
  find: (type: string) => P | undefined,
): ResolvedEntry<P>[] {
  const seen = new Map<string, number>()
  const resolved: ResolvedEntry<P>[] = []
  entries.forEach((entry, i) => {
    const at = `${kind}[${i}]`
    const earlier = seen.get(entry.id)
    if (earlier !== undefined) problems.push({ file, path: `${at}.id`, message: `"${entry.id}" is already used by ${kind}[${earlier}]` })
    seen.set(entry.id, i)
    const plugin = find(entry.type)
    if (!plugin) {
      problems.push({ file, path: `${at}.type`, message: `unknown ${kind === 'channels' ? 'channel' : 'plugin'} type "${entry.type}" (known: ${registry.types(kind).join(', ') || 'none'})` })
      return
    }
    const secrets = resolveSecretFields(plugin.manifest.config, entry.config ?? {}, sources, `${at}.config`)
    if (secrets.problems.length > 0) {
      problems.push(...secrets.problems.map((p) => ({ file, ...p })))
      return
    }
    const parsed = plugin.manifest.config.safeParse(secrets.value)
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, file, `${at}.config`))
      return
    }
    resolved.push({ id: entry.id, type: entry.type, enabled: entry.enabled, config: deepFreeze(parsed.data), plugin })
  })
  return resolved
}

function checkChannelPaths(config: TenantConfig, channels: ResolvedEntry<ChannelPlugin>[], file: string, problems: ConfigProblem[]) {
  config.channels.forEach((entry, i) => {
    if ((RESERVED_INSTANCE_IDS as readonly string[]).includes(entry.id)) {
      problems.push({ file, path: `channels[${i}].id`, message: `"${entry.id}" is reserved for web chat routes; choose another id` })
    }
  })
  const claimed = new Map<string, string>()
  for (const channel of channels.filter((c) => c.enabled)) {
    for (const path of channel.plugin.manifest.reservedPaths ?? []) {
      const owner = claimed.get(path)
      const index = config.channels.findIndex((e) => e.id === channel.id)
      if (owner) problems.push({ file, path: joinPath(`channels[${index}]`, ['type']), message: `only one enabled ${channel.type} channel per tenant (already "${owner}")` })
      claimed.set(path, channel.id)
    }
  }
}

function checkRequires(plugins: ResolvedEntry<AgentPlugin>[], file: string, problems: ConfigProblem[]) {
  // Plugins are set up in list order, so a service must be provided above the plugin that needs it.
  const provided = new Set<unknown>()
  plugins.forEach((entry, i) => {
    if (!entry.enabled) return
    for (const token of entry.plugin.manifest.requires ?? []) {
      if (provided.has(token)) continue
      const later = plugins.slice(i + 1).find((p) => p.enabled && p.plugin.manifest.provides?.includes(token))
      problems.push({
        file,
        path: `plugins[${i}]`,
        message: later
          ? `requires ${describeToken(token)}, which plugin "${later.id}" provides further down: list "${later.id}" above "${entry.id}"`
          : `requires ${describeToken(token)}, which no enabled plugin provides`,
      })
    }
    for (const token of entry.plugin.manifest.provides ?? []) provided.add(token)
  })
}

const describeToken = (token: unknown) => (typeof token === 'symbol' ? (token.description ?? String(token)).replace(/^switchboard\./, '') : String(token))

async function readYaml(dir: string, file: string, problems: ConfigProblem[], given?: string): Promise<unknown> {
  let text: string
  try {
    text = given ?? (await readFile(join(dir, file), 'utf8'))
  } catch (error) {
    problems.push({ file, path: '', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` })
    return undefined
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  for (const error of doc.errors) {
    const at = error.linePos?.[0]
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    problems.push({ file, path: at ? `line ${at.line}, column ${at.col}` : '', message })
  }
  if (doc.errors.length > 0) return undefined
  return doc.toJS({ maxAliasCount: 100 }) ?? {}
}

/** Environment variables an operator expects to win over the file (12-factor). */
function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv, dir: string, file: string, problems: ConfigProblem[]): unknown {
  const secrets = resolveSecretRefs(raw ?? {}, { env, baseDir: dir })
  problems.push(...secrets.problems.map((p) => ({ file, path: p.path, message: p.message })))
  const doc = (secrets.value && typeof secrets.value === 'object' ? structuredClone(secrets.value) : {}) as Record<string, Record<string, unknown>>
  const set = (section: string, key: string, value: string | undefined) => {
    if (value === undefined || value === '') return
    doc[section] = { ...(doc[section] ?? {}), [key]: value }
  }
  set('server', 'port', env.PORT)
  set('server', 'host', env.HOST)
  set('server', 'shutdownGraceMs', env.SWITCHBOARD_SHUTDOWN_GRACE_MS)
  set('storage', 'dataDir', env.SWITCHBOARD_DATA_DIR)
  set('storage', 'databaseUrl', env.DATABASE_URL)
  set('storage', 'redisUrl', env.REDIS_URL)
  set('log', 'level', env.LOG_LEVEL)
  if (env.SWITCHBOARD_TENANT) (doc as Record<string, unknown>).tenant = env.SWITCHBOARD_TENANT
  if (env.SWITCHBOARD_SESSION_SECRET) (doc as Record<string, unknown>).sessionSecret = env.SWITCHBOARD_SESSION_SECRET
  return doc
}
