import { backoffMs, HttpFailure, TokenUnavailable, type BackoffPolicy, type SendOutcome } from '../../core/index.js'
import type { ConnectorAnswer } from './client.js'

export interface RetryPolicy extends BackoffPolicy {
  attempts: number
}

/** What to do after one POST: go on with the next activity, or end the send with this outcome. */
export type Step = { next: 'continue' } | { next: 'stop'; outcome: SendOutcome; throttled?: boolean }

const describe = (answer: ConnectorAnswer) =>
  `${answer.status}${answer.code ? ` ${answer.code}` : ''}${answer.message ? `: ${answer.message}` : ''}${answer.operationId ? ` (operation ${answer.operationId})` : ''}`

/** Statuses Teams asks callers to retry (rate-limit.md: 429, and 412, 502, 504 with backoff). */
const TRANSIENT = new Set([412, 502, 504])

/**
 * Pure: the connector's answer → the send's fate. `count` says how many transient failures and
 * how many 429s this reply has met, this answer included if it is one.
 * - 2xx: sent, continue.
 * - 429: always waited out, for Retry-After when given (otherwise backoff); never gives up.
 * - 412/502/504: retried with backoff up to `attempts`, then failed.
 * - other 4xx (403 blocked, 404 gone, 413 too big, 400 bad card): failed — repeating cannot help.
 * - 500, 503 and anything else: unknown — the connector may have posted it; never re-posted.
 */
export function stepOf(answer: ConnectorAnswer, count: { failures: number; throttles: number }, policy: RetryPolicy, random?: () => number): Step {
  const { status } = answer
  const { failures, throttles } = count
  if (status >= 200 && status < 300) return { next: 'continue' }
  const error = describe(answer)
  if (status === 429) return { next: 'stop', throttled: true, outcome: { status: 'retry', afterMs: answer.retryAfterMs ?? backoffMs(throttles, policy, random), error } }
  if (TRANSIENT.has(status)) {
    if (failures >= policy.attempts) return { next: 'stop', outcome: { status: 'failed', error: `${error}; gave up after ${failures} attempts` } }
    return { next: 'stop', outcome: { status: 'retry', afterMs: Math.max(answer.retryAfterMs ?? 0, backoffMs(failures, policy, random)), error } }
  }
  if (status >= 400 && status < 500) return { next: 'stop', outcome: { status: 'failed', error } }
  return { next: 'stop', outcome: { status: 'unknown', error } }
}

/**
 * Pure: a send that got no answer → its fate. Nothing sent (refused connection, no token) is
 * retried like a transient status; a request that left but was not answered (timeout, reset) is
 * unknown.
 */
export function failureOutcome(error: unknown, failures: number, policy: RetryPolicy, random?: () => number): SendOutcome {
  const message = error instanceof Error ? error.message : String(error)
  const notSent = error instanceof TokenUnavailable || (error instanceof HttpFailure && !error.sent)
  if (!notSent) return { status: 'unknown', error: `no answer after the request was sent: ${message}` }
  if (failures >= policy.attempts) return { status: 'failed', error: `${message}; gave up after ${failures} attempts` }
  return { status: 'retry', afterMs: backoffMs(failures, policy, random), error: message }
}
