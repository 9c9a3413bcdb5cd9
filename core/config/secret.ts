import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'

/** Schemas registered here hold secrets: redaction walks the schema, it never guesses by key name. */
export const secretSchemas = z.registry<{ secret: true }>()

/** A config string that is a secret (token, password, signing key). */
export const secret = () => z.string().min(1).register(secretSchemas, { secret: true })

const REFERENCE = /\$\{(env|file):([^}:]+)(?::-([^}]*))?\}/g

export interface SecretProblem {
  path: string
  message: string
}

export interface ResolvedSecrets<T> {
  value: T
  problems: SecretProblem[]
}

/**
 * Replaces `${env:NAME}`, `${env:NAME:-default}` and `${file:PATH}` in every string of a parsed
 * config document. Relative file paths are taken from the config folder. Every unresolvable
 * reference is reported with its path; nothing is silently left empty.
 */
export function resolveSecretRefs<T>(document: T, options: { env: NodeJS.ProcessEnv; baseDir: string }): ResolvedSecrets<T> {
  const problems: SecretProblem[] = []
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return value.includes('${') ? resolveString(value, path) : value
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}[${i}]`))
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, path ? `${path}.${k}` : k)]))
    }
    return value
  }
  const resolveString = (text: string, path: string) =>
    text.replace(REFERENCE, (_whole, source: string, name: string, fallback: string | undefined) => {
      if (source === 'env') {
        const found = options.env[name]
        if (found !== undefined && found !== '') return found
        if (fallback !== undefined) return fallback
        problems.push({ path, message: `environment variable ${name} is not set` })
        return ''
      }
      const file = isAbsolute(name) ? name : resolve(options.baseDir, name)
      try {
        return readFileSync(file, 'utf8').trim()
      } catch (error) {
        problems.push({ path, message: `cannot read secret file ${name}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` })
        return ''
      }
    })
  return { value: walk(document, '') as T, problems }
}

export const REDACTED = '[redacted]'

/** A copy of `value` with every field its schema marks secret replaced by `[redacted]`. */
export function redact(schema: z.ZodType, value: unknown): unknown {
  if (value === undefined || value === null) return value
  if (secretSchemas.has(schema)) return REDACTED
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def
  switch (def.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return value
      const shape = def.shape as Record<string, z.ZodType>
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape[k] ? redact(shape[k], v) : v]))
    }
    case 'array':
      return Array.isArray(value) ? value.map((v) => redact(def.element as z.ZodType, v)) : value
    case 'record':
      return typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(def.valueType as z.ZodType, v)])) : value
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return redact(def.innerType as z.ZodType, value)
    case 'pipe':
      return redact(def.in as z.ZodType, value)
    case 'union': {
      const matching = (def.options as z.ZodType[]).find((o) => o.safeParse(value).success)
      return matching ? redact(matching, value) : value
    }
    default:
      return value
  }
}
