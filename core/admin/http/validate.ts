import type { z } from 'zod'
import { sbError } from '../../errors.js'
import { joinPath } from '../../config/problems.js'

/** Parses one part of a request (`params`, `query`, `body`), naming the exact path of every problem. */
export function validate<S extends z.ZodType>(schema: S | undefined, value: unknown, where: 'params' | 'query' | 'body'): z.output<S> {
  if (!schema) return value as z.output<S>
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const details = parsed.error.issues.map((issue) => {
    // An unknown key is reported at the key itself, not at the object that holds it.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path]
    return keys.map((path) => ({ path: joinPath(where, path as (string | number)[]), message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message }))
  }).flat()
  throw sbError('SB_ERR_BODY_INVALID', `${details[0]!.path}: ${details[0]!.message}`, details)
}
