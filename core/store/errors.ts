/** SQLSTATE of a PostgreSQL/PGlite error, or the errno code of a socket error. */
const codeOf = (error: unknown): string => (error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : '')

/**
 * The data itself was refused (class 22 data exception, class 23 integrity violation): retrying
 * the same row will fail again, but its neighbours in a batch may go through.
 */
export const isDataError = (error: unknown): boolean => /^2[23]/.test(codeOf(error))

/** The database could not be reached or is overloaded: worth retrying shortly. */
export function isStoreUnavailable(error: unknown): boolean {
  const code = codeOf(error)
  if (/^(08|53|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true
  const message = error instanceof Error ? error.message : ''
  return /timeout exceeded when trying to connect|Connection terminated|PGlite is closed/i.test(message)
}
