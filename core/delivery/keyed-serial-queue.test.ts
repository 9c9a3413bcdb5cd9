import { describe, expect, it } from 'vitest'
import { KeyedSerialQueue } from './keyed-serial-queue.js'

const tick = () => new Promise((r) => setTimeout(r, 1))

describe('KeyedSerialQueue', () => {
  it('runs one key in order, never overlapping, while other keys proceed', async () => {
    const queue = new KeyedSerialQueue()
    const log: string[] = []
    let running = 0
    const task = (name: string, wait: number) => async () => {
      running++
      expect(running).toBeLessThanOrEqual(2)
      log.push(`${name}>`)
      for (let i = 0; i < wait; i++) await tick()
      log.push(`<${name}`)
      running--
    }
    const done = [queue.run('a', task('a1', 3)), queue.run('a', task('a2', 1)), queue.run('b', task('b1', 1))]
    await Promise.all(done)
    expect(log.indexOf('<a1')).toBeLessThan(log.indexOf('a2>'))
    expect(log.indexOf('b1>')).toBeLessThan(log.indexOf('<a1'))
    expect(queue.keys).toBe(0)
  })

  it('keeps going after a task fails and drains', async () => {
    const queue = new KeyedSerialQueue()
    const seen: number[] = []
    void queue.run('k', async () => {
      throw new Error('boom')
    })
    void queue.run('k', async () => void seen.push(2))
    expect(await queue.drain(1000)).toBe(true)
    expect(seen).toEqual([2])
  })

  it('reports a drain that times out', async () => {
    const queue = new KeyedSerialQueue()
    let release!: () => void
    void queue.run('k', () => new Promise<void>((r) => (release = r)))
    expect(await queue.drain(5)).toBe(false)
    release()
    expect(await queue.drain(1000)).toBe(true)
  })

  it('hands a caller its own task’s result or error, in order, and goes on after a failure', async () => {
    const queue = new KeyedSerialQueue()
    const order: string[] = []
    const failing = queue.call('k', async () => {
      order.push('first')
      throw new Error('no')
    })
    const next = queue.call('k', async () => (order.push('second'), 42))
    await expect(failing).rejects.toThrow('no')
    expect(await next).toBe(42)
    expect(order).toEqual(['first', 'second'])
    expect(await queue.drain(100)).toBe(true)
  })
})

