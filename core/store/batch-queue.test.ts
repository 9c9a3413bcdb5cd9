import { describe, expect, it } from 'vitest'
import { BatchQueue } from './batch-queue.js'

describe('BatchQueue', () => {
  it('hands concurrent pushes to one run and gives each caller its own result', async () => {
    const runs: number[][] = []
    const queue = new BatchQueue<number, number>(async (items) => (runs.push(items), items.map((i) => i * 10)))
    expect(await Promise.all([1, 2, 3].map((i) => queue.push(i)))).toEqual([10, 20, 30])
    expect(runs).toEqual([[1, 2, 3]])
  })

  it('fails only the caller whose item is bad, not its neighbours in the batch', async () => {
    const queue = new BatchQueue<number, number>(async (items) => {
      if (items.includes(13)) throw new Error('unlucky')
      return items
    })
    const results = await Promise.allSettled([12, 13, 14].map((i) => queue.push(i)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })

  it('writes several batches at once when allowed, so one round trip does not hold back the next', async () => {
    let inFlight = 0
    let most = 0
    const queue = new BatchQueue<number, number>(
      async (items) => {
        most = Math.max(most, ++inFlight)
        await new Promise((r) => setTimeout(r, 20))
        inFlight--
        return items
      },
      { concurrency: 3 },
    )
    const first = queue.push(1)
    await new Promise((r) => setImmediate(r))
    const rest = [2, 3].map((i) => queue.push(i))
    expect(await Promise.all([first, ...rest])).toEqual([1, 2, 3])
    expect(most).toBe(2)
    await queue.drain()
  })

  it('drains everything pushed before', async () => {
    const done: number[] = []
    const queue = new BatchQueue<number, void>(async (items) => items.map((i) => void done.push(i)))
    void queue.push(1)
    void queue.push(2)
    await queue.drain()
    expect(done).toEqual([1, 2])
  })

  it('runs each partition of a batch on its own: one failing partition fails only its callers, and nothing is written twice', async () => {
    const runs: string[][] = []
    const queue = new BatchQueue<string, string>(
      async (items) => {
        runs.push(items)
        if (items.some((i) => i.startsWith('globex'))) throw new Error('globex is down')
        return items
      },
      { partition: (item) => item.split(':')[0]!, isolate: () => true },
    )
    const results = await Promise.allSettled(['acme:1', 'globex:1', 'acme:2', 'globex:2'].map((i) => queue.push(i)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected'])
    // acme's run succeeded once and was not retried because globex's failed.
    expect(runs.filter((r) => r.some((i) => i.startsWith('acme')))).toEqual([['acme:1', 'acme:2']])
  })
})
