import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { PassiveReplies } from './passive-reply.js'

const request = () => new EventEmitter()

describe('a callback waiting for its turn’s reply', () => {
  it('gets the first reply of its turn, and the sender learns when it was written', async () => {
    const passive = new PassiveReplies()
    const waiting = passive.wait('t1', 5000, request())
    expect(passive.offer('t2', 'not mine')).toBeUndefined()
    const written = passive.offer('t1', '好的')!
    const offer = (await waiting)!
    expect(offer.text).toBe('好的')
    offer.settle('sent')
    offer.settle('unknown')
    expect(await written).toBe('sent')
    // Only the first reply: the turn's next one goes through the API.
    expect(passive.offer('t1', 'second')).toBeUndefined()
  })

  it('answers without a reply when none came in time, and the late reply finds nobody waiting', async () => {
    const passive = new PassiveReplies()
    expect(await passive.wait('t1', 10, request())).toBeUndefined()
    expect(passive.offer('t1', 'late')).toBeUndefined()
    expect(passive.size).toBe(0)
  })

  it('stops waiting when WeChat hangs up', async () => {
    const passive = new PassiveReplies()
    const req = request()
    const waiting = passive.wait('t1', 5000, req)
    req.emit('close')
    expect(await waiting).toBeUndefined()
    expect(passive.offer('t1', 'x')).toBeUndefined()
    expect(req.listenerCount('close')).toBe(0)
  })

  it('hands the wait to a redelivery: WeChat only listens to its latest attempt', async () => {
    const passive = new PassiveReplies()
    const first = passive.wait('t1', 5000, request())
    const second = passive.wait('t1', 5000, request())
    expect(await first).toBeUndefined()
    void passive.offer('t1', 'reply')
    expect((await second)?.text).toBe('reply')
  })

  it('lets the callback answer at once when its turn’s reply goes another way', async () => {
    const passive = new PassiveReplies()
    const waiting = passive.wait('t1', 60_000, request())
    passive.pass('t1')
    expect(await waiting).toBeUndefined()
  })

  it('lets every waiting callback go when the channel stops', async () => {
    const passive = new PassiveReplies()
    const waits = [passive.wait('a', 60_000, request()), passive.wait('b', 60_000, request())]
    passive.close()
    expect(await Promise.all(waits)).toEqual([undefined, undefined])
    expect(passive.size).toBe(0)
  })
})
