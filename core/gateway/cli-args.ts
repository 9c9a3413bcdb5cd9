import { parseArgs, type ParseArgsConfig } from 'node:util'
import { isTenantScope, PLATFORM_TENANT } from '../tenancy/tenant-id.js'

export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  env: NodeJS.ProcessEnv
}

/** The command line itself is wrong (a missing or unknown flag, a malformed value): exit 2. */
export class CliUsageError extends Error {
  constructor(
    message: string,
    /** The usage of the command, shown after the message. */
    readonly usage?: string,
  ) {
    super(message)
    this.name = 'CliUsageError'
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

/** `parseArgs`, strict, with its errors rephrased for an operator and turned into usage errors. */
export function parseFlags<O extends Options>(args: readonly string[], options: O, usage: string, positionals = false) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: positionals })
  } catch (error) {
    throw new CliUsageError(rephrase(error as Error & { code?: string }), usage)
  }
}

function rephrase(error: Error & { code?: string }): string {
  const message = error.message.split('\n')[0]!
  let match: RegExpExecArray | null
  if ((match = /^Unknown option '([^']+)'/.exec(message))) return `unknown flag ${match[1]}`
  if ((match = /^Option '(--[\w-]+)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(message)) || (match = /^Option '-\w, (--[\w-]+) <value>' argument/.exec(message)))
    return `${match[1]} needs a value`
  if ((match = /^Option '([^']+)' does not take an argument/.exec(message))) return `${match[1]} takes no value`
  if ((match = /^Unexpected argument '([^']*)'/.exec(message))) return `unexpected argument "${match[1]}"`
  return message
}


export function tenantFlag(value: string | undefined, usage: string, required: true): string
export function tenantFlag(value: string | undefined, usage: string, required?: false): string | undefined
export function tenantFlag(value: string | undefined, usage: string, required = false): string | undefined {
  if (value === undefined) {
    if (required) throw new CliUsageError('missing --tenant <id> (or --platform for the platform itself)', usage)
    return undefined
  }
  if (!isTenantScope(value)) throw new CliUsageError(`--tenant: "${value}" is not a tenant id (lowercase letters, digits and dashes)`, usage)
  return value
}

/**
 * `switchboard <group> <command> …`: runs the named command, prints the group's usage for help,
 * refuses anything else as a usage error.
 */
export async function subcommand(group: string, args: readonly string[], commands: Record<string, (rest: readonly string[]) => Promise<number>>, usage: string, io: CliIo): Promise<number> {
  const [name, ...rest] = args
  if (name === 'help' || name === '--help' || name === '-h') {
    io.out(usage)
    return 0
  }
  if (name !== undefined && Object.hasOwn(commands, name)) return commands[name]!(rest)
  const names = Object.keys(commands)
  const choices = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`
  throw new CliUsageError(name === undefined ? `${group} needs a command: ${choices}` : `unknown ${group} command "${name}"`, usage)
}

/** `--platform` is shorthand for `--tenant _platform`: the platform's own keys and audit chain. */
export function scopeFlag(values: { tenant?: string; platform?: boolean }, usage: string, required: true): string
export function scopeFlag(values: { tenant?: string; platform?: boolean }, usage: string, required?: false): string | undefined
export function scopeFlag(values: { tenant?: string; platform?: boolean }, usage: string, required = false): string | undefined {
  if (values.platform && values.tenant !== undefined && values.tenant !== PLATFORM_TENANT)
    throw new CliUsageError(`--platform and --tenant ${values.tenant} contradict each other: it is either the platform's or one tenant's`, usage)
  return values.platform ? PLATFORM_TENANT : required ? tenantFlag(values.tenant, usage, true) : tenantFlag(values.tenant, usage)
}

export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`

/** 2030-01-31T18:00:00Z: ISO 8601 in UTC, to the second. */
export const formatTime = (date: Date | null | undefined, none = 'never') => (date ? `${date.toISOString().slice(0, 19)}Z` : none)
