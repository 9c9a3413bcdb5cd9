import type { z } from 'zod'

/** One thing wrong in a config folder, located by file and path. */
export interface ConfigProblem {
  /** Relative to the config folder, e.g. `tenants/demo.yaml`. */
  file: string
  /** e.g. `channels[0].config.allowedOrigins[1]`; empty for the whole file. */
  path: string
  message: string
}

export const formatProblem = (p: ConfigProblem): string => `${p.file}: ${p.path ? `${p.path}: ` : ''}${p.message}`

export function joinPath(base: string, segments: readonly PropertyKey[]): string {
  let out = base
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out ? `.${String(segment)}` : String(segment)
  }
  return out
}

export const zodProblems = (error: z.ZodError, file: string, base = ''): ConfigProblem[] =>
  error.issues.map((issue) => {
    // An unrecognized key is reported on the object; naming the key itself is what a user needs.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : []
    if (keys.length === 1) return { file, path: joinPath(base, [...issue.path, keys[0]!]), message: 'unknown key' }
    return { file, path: joinPath(base, issue.path), message: issue.message }
  })

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
