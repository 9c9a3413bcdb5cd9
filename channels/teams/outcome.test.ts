import { describe, expect, it } from 'vitest'
import { backoffMs, HttpFailure, TokenUnavailable } from '../../core/index.js'
import { failureOutcome, stepOf } from './outcome.js'

const policy = { attempts: 3, minDelayMs: 2000, maxDelayMs: 20_000 }
const middle = () => 0.5
const first = { failures: 1, throttles: 1 }

describe('what a connector answer means for the reply', () => {
  it.each([200, 201, 202])('%i: posted, on to the next activity', (status) => {
    expect(stepOf({ status }, first, policy)).toEqual({ next: 'continue' })
  })

  it('429 with Retry-After: waits exactly that long, however often it happens', () => {
    expect(stepOf({ status: 429, retryAfterMs: 3000, code: 'Throttled' }, { failures: 9, throttles: 50 }, policy)).toEqual({
      next: 'stop',
      throttled: true,
      outcome: { status: 'retry', afterMs: 3000, error: '429 Throttled' },
    })
  })

  it('429 without Retry-After: backs off exponentially', () => {
    const waits = [1, 2, 3, 4, 5].map((throttles) => stepOf({ status: 429 }, { failures: 0, throttles }, policy, middle)).map((s) => s.next === 'stop' && s.outcome.status === 'retry' && s.outcome.afterMs)
    expect(waits).toEqual([2000, 4000, 8000, 16_000, 20_000])
  })

  it.each([412, 502, 504])('%i: retried with backoff until the attempts run out, then failed', (status) => {
    expect(stepOf({ status }, { failures: 1, throttles: 0 }, policy, middle)).toMatchObject({ outcome: { status: 'retry', afterMs: 2000 } })
    expect(stepOf({ status }, { failures: 2, throttles: 0 }, policy, middle)).toMatchObject({ outcome: { status: 'retry', afterMs: 4000 } })
    expect(stepOf({ status }, { failures: 3, throttles: 0 }, policy, middle)).toMatchObject({ outcome: { status: 'failed', error: expect.stringContaining('gave up after 3 attempts') } })
  })

  it.each([400, 401, 403, 404, 405, 413])('%i: failed, since sending it again cannot help', (status) => {
    expect(stepOf({ status }, first, policy)).toMatchObject({ outcome: { status: 'failed' } })
  })

  it.each([500, 501, 503])('%i: unknown — the connector may have posted it, so it is never re-posted', (status) => {
    expect(stepOf({ status }, first, policy)).toMatchObject({ outcome: { status: 'unknown' } })
  })

  it('names the error code and the correlation id, for Microsoft support', () => {
    const step = stepOf({ status: 413, code: 'MessageSizeTooBig', message: 'Message size too large.', operationId: 'op-7' }, first, policy)
    expect(step).toMatchObject({ outcome: { status: 'failed', error: '413 MessageSizeTooBig: Message size too large. (operation op-7)' } })
  })
})

describe('what a send without an answer means', () => {
  it('nothing left (refused connection, no token): retried, then failed', () => {
    expect(failureOutcome(new HttpFailure('refused', false, 'ECONNREFUSED'), 1, policy, middle)).toMatchObject({ status: 'retry', afterMs: 2000 })
    expect(failureOutcome(new TokenUnavailable('token endpoint answered 503', 503), 2, policy, middle)).toMatchObject({ status: 'retry', afterMs: 4000 })
    expect(failureOutcome(new HttpFailure('refused', false, 'ECONNREFUSED'), 3, policy)).toMatchObject({ status: 'failed' })
  })

  it('sent but unanswered (timeout, reset): unknown', () => {
    expect(failureOutcome(new HttpFailure('no answer', true, 'ETIMEDOUT'), 1, policy)).toMatchObject({ status: 'unknown' })
    expect(failureOutcome(new HttpFailure('socket hang up', true, 'ECONNRESET'), 1, policy)).toMatchObject({ status: 'unknown' })
  })
})

describe('backoff', () => {
  it('stays within ±20 % of the doubling schedule and under the cap', () => {
    for (let failures = 1; failures <= 8; failures++) {
      const base = Math.min(20_000, 2000 * 2 ** (failures - 1))
      expect(backoffMs(failures, policy, () => 0)).toBe(base * 0.8)
      expect(backoffMs(failures, policy, () => 0.999999)).toBeLessThanOrEqual(base * 1.2)
    }
  })
})
