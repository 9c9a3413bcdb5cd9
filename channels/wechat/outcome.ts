import { backoffMs, HttpFailure, TokenUnavailable, type SendOutcome } from '../../core/index.js'
import { TOKEN_REFUSED, UnreadableAnswer, type ApiAnswer } from './api.js'

/**
 * Errcodes that mean this reply can never reach this user: retrying cannot help, so the reply is
 * marked failed, audited and counted. WeChat's quotas are the usual cause.
 */
export const UNDELIVERABLE: ReadonlyMap<number, string> = new Map([
  [45015, 'the user’s 48-hour window has closed or they unfollowed'],
  [45047, 'the customer-service message quota for this user is spent'],
  [48001, 'the app is not authorised for this API'],
  [43004, 'the user does not follow the account'],
  [40003, 'the user id is not a user of this app'],
  [81013, 'the user is outside the WeCom app’s visible range'],
])

/** WeChat is busy (-1) or the app is over its call frequency (45009): it did nothing, so try again later. */
const BUSY = new Set([-1, 45009])

/**
 * Retries start at 1 s (never less: WeChat's busy and frequency errors need a real pause) and
 * double up to a minute, with jitter.
 */
const RETRY = { minDelayMs: 1000, maxDelayMs: 60_000 }
const retryAfter = (attempt: number) => Math.max(RETRY.minDelayMs, backoffMs(attempt, RETRY))

/** What became of one API send, and whether it is news for the audit log or the throttle counter. */
export interface Verdict {
  outcome: SendOutcome
  /** Set when the user cannot be reached (audited and counted). */
  undeliverable?: { reason: string; detail: string }
  /** WeChat asked us to slow down. */
  throttled?: boolean
}

/** Pure: WeChat's answer to a send → its fate. */
export function verdictOf(answer: ApiAnswer, attempt: number): Verdict {
  const said = `${answer.errcode} ${answer.errmsg}`.trim()
  if (answer.errcode === 0) {
    // WeCom answers 0 and lists the users it could not reach; we send to one.
    if (answer.invaliduser) return { outcome: { status: 'failed', error: `invaliduser ${answer.invaliduser}` }, undeliverable: { reason: 'invaliduser', detail: 'WeCom reports the user as invalid' } }
    return { outcome: { status: 'sent' } }
  }
  const why = UNDELIVERABLE.get(answer.errcode)
  if (why) return { outcome: { status: 'failed', error: `${said}: ${why}` }, undeliverable: { reason: String(answer.errcode), detail: `${said}` } }
  if (BUSY.has(answer.errcode)) return { outcome: { status: 'retry', afterMs: retryAfter(attempt), error: said }, throttled: answer.errcode === 45009 }
  // Still refused after a fresh token: the credentials changed under us; nothing was sent.
  if (TOKEN_REFUSED.has(answer.errcode)) return { outcome: { status: 'retry', afterMs: retryAfter(attempt), error: `${said} (after a token refresh)` } }
  // 44004 empty, 45002 too long, 47001 malformed, 40056 wrong agent…: the same request would be refused again.
  return { outcome: { status: 'failed', error: said } }
}

/** Pure: a send that got no WeChat answer → its fate. Nothing that may have arrived is ever re-posted. */
export function failureVerdict(error: unknown, attempt: number): Verdict {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof TokenUnavailable || (error instanceof HttpFailure && !error.sent)) return { outcome: { status: 'retry', afterMs: retryAfter(attempt), error: message } }
  if (error instanceof UnreadableAnswer && error.status === 429) return { outcome: { status: 'retry', afterMs: retryAfter(attempt), error: message }, throttled: true }
  return { outcome: { status: 'unknown', error: `no readable answer after the request was sent: ${message}` } }
}
