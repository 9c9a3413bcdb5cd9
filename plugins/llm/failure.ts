import type { LlmFailure } from './types.js'
import type { StopReason } from './attempt.js'

/** One failed attempt, read once so retrying, the breaker, metrics and logs all agree on it. */
export interface Failure {
  reason: LlmFailure
  retryable: boolean
  /** Whether it says the provider is unhealthy; only those count towards opening the breaker. */
  upstream: boolean
  /** The provider's Retry-After, when it sent one. */
  retryAfterMs?: number
  status?: number
  code?: string
  message: string
}

/** Thrown by the callback the caller passed (onToken): the caller's bug, not the provider's. */
export class CallerFault extends Error {
  constructor(cause: unknown) {
    super(`onToken threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'CallerFault'
  }
}

/** The rejection an attempt leaves the breaker with: carries its reading for the error filter. */
export class AttemptFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message)
    this.name = 'AttemptFailure'
  }
}

interface ApiErrorLike {
  status?: unknown
  code?: unknown
  name?: unknown
  message?: unknown
  headers?: unknown
  cause?: unknown
  error?: { code?: unknown }
}

const asObject = (value: unknown): ApiErrorLike => (value && typeof value === 'object' ? (value as ApiErrorLike) : {})

// LangChain rewraps some SDK errors (context overflow) and keeps the original as `cause`.
function statusOf(error: ApiErrorLike): number | undefined {
  for (let e: ApiErrorLike | undefined = error, depth = 0; e && depth < 3; e = asObject(e.cause), depth++)
    if (typeof e.status === 'number') return e.status
  return undefined
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  const value = (headers as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}

/** `retry-after-ms` (OpenAI-compatible servers), else `retry-after` in seconds or as a date. */
export function retryAfterMs(headers: unknown): number | undefined {
  const ms = Number.parseFloat(header(headers, 'retry-after-ms') ?? '')
  if (Number.isFinite(ms) && ms >= 0) return ms
  const value = header(headers, 'retry-after')
  if (value === undefined) return undefined
  const seconds = Number.parseFloat(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

// Statuses that blame this request (too long, malformed): retrying cannot help and other calls are fine.
const REQUEST_FAULTS = new Set([400, 404, 409, 413, 415, 422])

/** Reads a failed attempt: `stopped` says whether our own signal ended it, and why. */
export function classify(error: unknown, stopped: StopReason | undefined): Failure {
  const e = asObject(error)
  const message = typeof e.message === 'string' ? e.message : String(error)
  if (stopped === 'aborted') return { reason: 'aborted', retryable: false, upstream: false, message: 'the caller gave up' }
  if (stopped === 'timeout') return { reason: 'timeout', retryable: true, upstream: true, message: 'no answer within the attempt timeout' }
  if (stopped === 'deadline') return { reason: 'timeout', retryable: false, upstream: false, message: 'the turn deadline passed' }
  if (error instanceof CallerFault) return { reason: 'error', retryable: false, upstream: false, message }

  const status = statusOf(e)
  const code = typeof e.code === 'string' ? e.code : typeof e.error?.code === 'string' ? e.error.code : undefined
  if (status !== undefined) {
    const failure = { reason: 'error' as const, status, code, message }
    if (status === 429) {
      // A spent quota does not come back in a few seconds; a rate limit does.
      if (code === 'insufficient_quota') return { ...failure, retryable: false, upstream: true }
      return { ...failure, retryable: true, upstream: true, retryAfterMs: retryAfterMs(e.headers) }
    }
    if (status === 408 || status >= 500) return { ...failure, retryable: true, upstream: true }
    return { ...failure, retryable: false, upstream: !REQUEST_FAULTS.has(status) }
  }
  // The SDK's own timeout (embeddings run under it, having no signal of ours).
  if (e.name === 'TimeoutError') return { reason: 'timeout', retryable: true, upstream: true, message }
  // No status: the connection failed or dropped (refused, reset, cut mid-stream).
  return { reason: 'error', retryable: true, upstream: true, code, message }
}
