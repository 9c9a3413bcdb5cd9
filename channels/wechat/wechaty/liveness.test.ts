import { describe, expect, it } from 'vitest'
import { Liveness } from './liveness.js'

describe('what probe() says about a wechaty account', () => {
  const clock = () => {
    let now = 1_000_000
    return { now: () => now, advance: (ms: number) => (now += ms) }
  }

  it('is down until the account logs in, and says why', () => {
    const liveness = new Liveness(clock().now, 60_000)
    expect(liveness.report()).toEqual({ ok: false, detail: 'not logged in yet' })
    liveness.failed('connect ECONNREFUSED 127.0.0.1:8788')
    expect(liveness.report()).toEqual({ ok: false, detail: 'not logged in yet; last puppet error: connect ECONNREFUSED 127.0.0.1:8788' })
  })

  it('tells an operator where a QR login stands', () => {
    const liveness = new Liveness(clock().now, 60_000)
    liveness.scanning(2)
    expect(liveness.report()).toEqual({ ok: false, detail: 'not logged in: QR code waiting for a scan' })
    liveness.scanning(3)
    expect(liveness.report().detail).toBe('not logged in: QR code scanned, waiting for confirmation on the phone')
    liveness.scanning(5)
    expect(liveness.report().detail).toBe('not logged in: QR code expired')
  })

  it('is up while the puppet beats, and down once its heartbeat stops', () => {
    const time = clock()
    const liveness = new Liveness(time.now, 60_000)
    liveness.loggedIn('Shop Service')
    time.advance(30_000)
    expect(liveness.report()).toEqual({ ok: true, detail: 'logged in as Shop Service; last sign of life 30 s ago' })
    liveness.alive()
    time.advance(60_000)
    expect(liveness.report().ok).toBe(true)
    time.advance(1)
    expect(liveness.report()).toEqual({ ok: false, detail: 'logged in as Shop Service, but no heartbeat from the puppet for 60 s' })
    liveness.alive()
    expect(liveness.report().ok).toBe(true)
  })

  it('is down after a logout, with the puppet’s reason', () => {
    const liveness = new Liveness(clock().now, 60_000)
    liveness.loggedIn('Shop Service')
    liveness.loggedOut('kicked out by another device')
    expect(liveness.report()).toEqual({ ok: false, detail: 'logged out: kicked out by another device' })
    liveness.loggedOut(undefined)
    expect(liveness.report()).toEqual({ ok: false, detail: 'logged out: no reason given' })
  })
})
