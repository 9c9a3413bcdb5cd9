import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { parse } from 'yaml'
import { loadConfig, loadTenantFile, type ResolvedEntry } from '../config/load.js'
import { formatProblem } from '../config/problems.js'
import type { PluginRegistry } from '../plugin/registry.js'
import { parseFlags, plural, subcommand, type CliIo } from './cli-args.js'
import { configDirOf } from './cli-database.js'

export const TENANTS_USAGE = `Usage:
  switchboard tenants list [--config DIR]     every tenant file: valid or not (and why), channels, pipeline`

export async function tenantsCommand(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  return subcommand('tenants', args, { list: (rest) => list(rest, registry, io) }, TENANTS_USAGE, io)
}

interface Entry {
  id?: unknown
  type?: unknown
  enabled?: unknown
}

/** Exit 0 whatever the tenants' state (an invalid one is listed as such); 1 when the folder is missing. */
async function list(args: readonly string[], registry: PluginRegistry, io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string', short: 'c' } }, TENANTS_USAGE)
  const { SWITCHBOARD_TENANT: servingEnv, ...env } = io.env
  // Every file, whichever one SWITCHBOARD_TENANT (or gateway.yaml's tenant) would serve.
  const config = await loadConfig({ dir: configDirOf(values.config, io.env), registry, env })
  const serving = servingEnv || config.gateway.tenant
  const tenantsDir = join(config.dir, 'tenants')
  const files = existsSync(tenantsDir) ? (await readdir(tenantsDir)).filter((f) => ['.yaml', '.yml'].includes(extname(f))).sort() : []
  for (const problem of config.problems.filter((p) => !p.file.startsWith('tenants/'))) io.out(`${config.dir}: ${formatProblem(problem)}`)
  if (files.length === 0) {
    io.out(`${config.dir}: no tenant files (tenants/<id>.yaml)`)
    return 0
  }
  const invalid: string[] = []
  const lines: string[] = []
  for (const name of files) {
    const file = `tenants/${name}`
    const id = basename(name, extname(name))
    const loaded = await loadTenantFile({ dir: config.dir, file, registry, env })
    const tenant = loaded.tenant
    if (tenant) {
      const notes = [tenant.name !== tenant.id ? `"${tenant.name}"` : '', serving && serving !== tenant.id ? `not served: the gateway serves only ${serving}` : ''].filter(Boolean)
      lines.push(`  ${id}: valid${notes.length ? ` (${notes.join('; ')})` : ''}; channels ${describe(tenant.channels)}; pipeline ${describe(tenant.plugins, ' → ')}`)
      continue
    }
    invalid.push(id)
    const problems = loaded.problems
    const first = problems[0] ? `${problems[0].path ? `${problems[0].path}: ` : ''}${problems[0].message}` : 'not loaded'
    const raw = await rawEntries(join(config.dir, file))
    const more = problems.length > 1 ? ` (and ${plural(problems.length - 1, 'more problem')})` : ''
    const parts = [`  ${id}: INVALID: ${first}${more}`]
    if (raw) parts.push(`channels ${describe(raw.channels)}`, `pipeline ${describe(raw.plugins, ' → ')}`)
    lines.push(parts.join('; '))
  }
  io.out(`${config.dir}: ${plural(files.length, 'tenant')}${invalid.length ? `, ${invalid.length} invalid` : ''}`)
  for (const line of lines) io.out(line)
  if (invalid.length > 0) {
    io.out(
      `${plural(invalid.length, 'tenant is', 'tenants are')} invalid (${invalid.join(', ')}): \`switchboard start\` refuses this configuration until fixed; \`switchboard config check ${config.dir}\` lists every problem`,
    )
  }
  return 0
}

function describe(entries: readonly (ResolvedEntry<unknown> | Entry)[], separator = ', '): string {
  const text = entries.map((e) => `${String(e.id ?? '?')} (${String(e.type ?? '?')}${e.enabled === false ? ', disabled' : ''})`).join(separator)
  return text || 'none'
}

/** The channels and plugins an invalid file declares, as far as it parses. */
async function rawEntries(path: string): Promise<{ channels: Entry[]; plugins: Entry[] } | undefined> {
  try {
    const doc = parse(await readFile(path, 'utf8')) as { channels?: unknown; plugins?: unknown } | null
    const entries = (value: unknown) => (Array.isArray(value) ? value.filter((e): e is Entry => !!e && typeof e === 'object') : [])
    return doc && typeof doc === 'object' ? { channels: entries(doc.channels), plugins: entries(doc.plugins) } : undefined
  } catch {
    return undefined
  }
}
