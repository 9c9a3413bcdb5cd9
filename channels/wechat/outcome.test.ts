import { describe, expect, it } from 'vitest'
import { UnreadableAnswer } from './api.js'
import { HttpFailure, TokenUnavailable } from '../../core/index.js'
import { failureVerdict, verdictOf } from './outcome.js'

const answer = (errcode: number, errmsg = 'x', invaliduser?: string) => ({ errcode, errmsg, ...(invaliduser ? { invaliduser } : {}) })

describe('what WeChat’s answer to a send means', () => {
  it('0 is sent', () => {
    expect(verdictOf(answer(0, 'ok'), 1)).toEqual({ outcome: { status: 'sent' } })
  })

  it.each([45015, 45047, 48001, 43004, 40003, 81013])('%i: the user cannot be reached; failed for good, and reported', (errcode) => {
    const verdict = verdictOf(answer(errcode, 'refused'), 1)
    expect(verdict.outcome.status).toBe('failed')
    expect(verdict.undeliverable).toEqual({ reason: String(errcode), detail: `${errcode} refused` })
  })

  it('WeCom’s 0 with the user listed as invalid is undeliverable too', () => {
    expect(verdictOf(answer(0, 'ok', 'ZhangSan'), 1)).toMatchObject({ outcome: { status: 'failed' }, undeliverable: { reason: 'invaliduser' } })
  })

  it.each([-1, 45009])('%i: WeChat did nothing and asks for a pause of at least a second', (errcode) => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const { outcome } = verdictOf(answer(errcode), attempt)
      expect(outcome.status).toBe('retry')
      expect((outcome as { afterMs: number }).afterMs).toBeGreaterThanOrEqual(1000)
      expect((outcome as { afterMs: number }).afterMs).toBeLessThanOrEqual(72_000)
    }
    expect(verdictOf(answer(45009), 1).throttled).toBe(true)
  })

  it('a token still refused after the refresh is retried later; nothing was sent', () => {
    expect(verdictOf(answer(42001), 1).outcome.status).toBe('retry')
  })

  it.each([44004, 45002, 47001, 40056, 99999])('%i: the same request would be refused again; failed without an audit entry', (errcode) => {
    const verdict = verdictOf(answer(errcode), 1)
    expect(verdict.outcome.status).toBe('failed')
    expect(verdict.undeliverable).toBeUndefined()
  })
})

describe('a send without a WeChat answer', () => {
  it.each([
    ['refused connection (nothing left this host)', new HttpFailure('api: ECONNREFUSED', false), 'retry'],
    ['no access token', new TokenUnavailable('access token unavailable'), 'retry'],
    ['a 429 from a proxy in front', new UnreadableAnswer('HTTP 429', 429), 'retry'],
    ['a timeout after the request was written', new HttpFailure('api: no answer within 10000 ms', true), 'unknown'],
    ['a connection reset after the request was written', new HttpFailure('api: ECONNRESET', true), 'unknown'],
    ['a 502 from a proxy', new UnreadableAnswer('HTTP 502', 502), 'unknown'],
    ['an answer that is not JSON', new UnreadableAnswer('the answer is not WeChat JSON', 200), 'unknown'],
  ])('%s → %s', (_name, error, status) => {
    const { outcome } = failureVerdict(error, 1)
    expect(outcome.status).toBe(status)
    if (outcome.status === 'retry') expect(outcome.afterMs).toBeGreaterThanOrEqual(1000)
  })
})
