import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { joinPath } from './problems.js'

/** Schemas registered here hold secrets: redaction walks the schema, it never guesses by key name. */
export const secretSchemas = z.registry<{ secret: true }>()

/** A config string that is a secret (token, password, signing key). */
export const secret = (minLength = 1) => z.string().min(minLength).register(secretSchemas, { secret: true })

const REFERENCE = /\$\{(env|file):([^}:]+)(?::-([^}]*))?\}/g
const hasReference = (text: string) => text.includes('${') && new RegExp(REFERENCE.source).test(text)

export interface SecretProblem {
  path: string
  message: string
}

export interface ResolvedSecrets<T> {
  value: T
  problems: SecretProblem[]
}

export interface SecretSources {
  env: NodeJS.ProcessEnv
  /** Relative `${file:…}` paths are taken from here. */
  baseDir: string
}

/**
 * Replaces `${env:NAME}`, `${env:NAME:-default}` and `${file:PATH}` in one string. Every
 * unresolvable reference is reported with its path; nothing is silently left empty.
 */
function resolveString(text: string, path: string, sources: SecretSources, problems: SecretProblem[]): string {
  return text.replace(REFERENCE, (_whole, source: string, name: string, fallback: string | undefined) => {
    if (source === 'env') {
      const found = sources.env[name]
      if (found !== undefined && found !== '') return found
      if (fallback !== undefined) return fallback
      problems.push({ path, message: `environment variable ${name} is not set` })
      return ''
    }
    if (!isAbsolute(name) && name.split(/[\\/]/).includes('..')) {
      problems.push({ path, message: `secret file ${name} must not leave the config folder` })
      return ''
    }
    try {
      return readFileSync(isAbsolute(name) ? name : resolve(sources.baseDir, name), 'utf8').trim()
    } catch (error) {
      problems.push({ path, message: `cannot read secret file ${name}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` })
      return ''
    }
  })
}

/** Resolves references in every string of a document: for the operator's own gateway.yaml. */
export function resolveSecretRefs<T>(document: T, sources: SecretSources): ResolvedSecrets<T> {
  const problems: SecretProblem[] = []
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return value.includes('${') ? resolveString(value, path, sources, problems) : value
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}[${i}]`))
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, joinPath(path, [k]))]))
    return value
  }
  return { value: walk(document, '') as T, problems }
}

/**
 * Resolves references only in the fields `schema` marks secret. A reference anywhere else is a
 * problem: a tenant file must not be able to copy the gateway's environment into a field that is
 * shown (a page title, a greeting).
 */
export function resolveSecretFields(schema: z.ZodType, value: unknown, sources: SecretSources, basePath: string): ResolvedSecrets<unknown> {
  const problems: SecretProblem[] = []
  const resolved = mapSecrets(schema, value, basePath, (secretValue, path) =>
    typeof secretValue === 'string' ? resolveString(secretValue, path, sources, problems) : secretValue,
  )
  problems.push(...strayReferences(resolved, basePath))
  return { value: resolved, problems }
}

/** References left in a document after its secret fields were resolved. */
export function strayReferences(value: unknown, path: string): SecretProblem[] {
  if (typeof value === 'string') return hasReference(value) ? [{ path, message: 'secret references (${env:…}, ${file:…}) are only allowed in secret fields' }] : []
  if (Array.isArray(value)) return value.flatMap((v, i) => strayReferences(v, joinPath(path, [i])))
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strayReferences(v, joinPath(path, [k])))
  return []
}

export const REDACTED = '[redacted]'

/** A copy of `value` with every field its schema marks secret replaced by `[redacted]`. */
export const redact = (schema: z.ZodType, value: unknown): unknown => mapSecrets(schema, value, '', () => REDACTED)

/** A copy of `value` in which `fn` replaced every field the schema marks secret. */
function mapSecrets(schema: z.ZodType, value: unknown, path: string, fn: (value: unknown, path: string) => unknown): unknown {
  if (value === undefined || value === null) return value
  if (secretSchemas.has(schema)) return fn(value, path)
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def
  const inner = (next: unknown) => mapSecrets(next as z.ZodType, value, path, fn)
  switch (def.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return value
      const shape = def.shape as Record<string, z.ZodType>
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape[k] ? mapSecrets(shape[k], v, joinPath(path, [k]), fn) : v]))
    }
    case 'array':
      return Array.isArray(value) ? value.map((v, i) => mapSecrets(def.element as z.ZodType, v, joinPath(path, [i]), fn)) : value
    case 'record':
      return typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(def.valueType as z.ZodType, v, joinPath(path, [k]), fn)]))
        : value
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return inner(def.innerType)
    case 'pipe':
      return inner(def.in)
    case 'union': {
      const options = def.options as z.ZodType[]
      // Secret fields still hold their `${env:…}` references here, so a member may fail to parse for
      // that alone: a discriminated union is matched on its discriminator, never on a trial parse.
      const matching = memberByDiscriminator(options, def.discriminator, value) ?? options.find((o) => o.safeParse(value).success) ?? options[0]
      return matching ? inner(matching) : value
    }
    default:
      return value
  }
}

function memberByDiscriminator(options: z.ZodType[], discriminator: unknown, value: unknown): z.ZodType | undefined {
  if (typeof discriminator !== 'string' || typeof value !== 'object' || value === null) return undefined
  const tag = (value as Record<string, unknown>)[discriminator]
  return options.find((option) => (option as unknown as { _zod: { propValues?: Record<string, Set<unknown>> } })._zod.propValues?.[discriminator]?.has(tag))
}
