import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { TranscriptEntry } from '../../core/index.js'
import { ReplyWaiter } from './reply-waiter.js'

/** A transcript in memory that counts its reads, and the turns that settled. */
function transcript() {
  const rows: TranscriptEntry[] = []
  const settledTurns = new Set<string>()
  let reads = 0
  return {
    rows,
    settle: (turnId: string) => settledTurns.add(turnId),
    settled: async (turnId: string) => settledTurns.has(turnId),
    get reads() {
      return reads
    },
    add(seq: number, turnId: string, text = `reply ${seq}`) {
      rows.push({ id: `m${seq}`, tenant: 'acme', conversationId: 'c1', direction: 'out', turnId, seq, platformMsgId: null, senderId: 'bot', senderRole: 'bot', kind: 'message', text, parts: [{ type: 'text', text }], annotations: {}, createdAt: new Date() })
    },
    repliesAfter: async (_conversation: string, after: number) => {
      reads++
      return rows.filter((r) => r.seq! > after)
    },
  }
}

const activeTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
let stop: AbortController
beforeEach(() => {
  stop = new AbortController()
})
afterEach(() => stop.abort())

describe('waiting for a turn’s replies', () => {
  it('answers at once when the replies are already in the transcript, and only its own turn’s', async () => {
    const store = transcript()
    store.add(3, 't_old')
    store.add(4, 't_mine')
    store.add(5, 't_mine')
    const waiter = new ReplyWaiter({ repliesAfter: store.repliesAfter, settled: store.settled, pollMs: 10_000, signal: stop.signal })
    expect((await waiter.replies('c1', 't_mine', 2, 5000))!.map((r) => r.seq)).toEqual([4, 5])
    expect(store.reads).toBe(1)
  })

  it('is woken by send() in this process rather than polling', async () => {
    const store = transcript()
    const waiter = new ReplyWaiter({ repliesAfter: store.repliesAfter, settled: store.settled, pollMs: 10_000, signal: stop.signal })
    const waiting = waiter.replies('c1', 't_1', 0, 5000)
    await new Promise((resolve) => setImmediate(resolve))
    expect(waiter.size).toBe(1)
    store.add(1, 't_1')
    expect(waiter.wake('t_1')).toBe(true)
    expect((await waiting)!.map((r) => r.text)).toEqual(['reply 1'])
    expect(store.reads).toBe(2)
    expect(waiter.size).toBe(0)
    expect(waiter.wake('t_1')).toBe(false)
  })

  it('does not miss a wake that comes while it is reading', async () => {
    const store = transcript()
    let first = true
    const waiter: ReplyWaiter = new ReplyWaiter({
      repliesAfter: async (conversation, after) => {
        const rows = await store.repliesAfter(conversation, after)
        if (first) {
          first = false
          // Committed and handed over between this read and the sleep.
          store.add(1, 't_1')
          waiter.wake('t_1')
        }
        return rows
      },
      settled: store.settled,
      pollMs: 10_000,
      signal: stop.signal,
    })
    expect((await waiter.replies('c1', 't_1', 0, 5000))!.map((r) => r.seq)).toEqual([1])
  })

  it('does not look for the replies of a turn stored a moment ago until it is woken', async () => {
    const store = transcript()
    const waiter = new ReplyWaiter({ repliesAfter: store.repliesAfter, settled: store.settled, pollMs: 10_000, signal: stop.signal })
    const waiting = waiter.replies('c1', 't_1', 0, 5000, { justAccepted: true })
    await new Promise((resolve) => setImmediate(resolve))
    expect(store.reads).toBe(0)
    store.add(1, 't_1')
    waiter.wake('t_1')
    expect((await waiting)!.map((r) => r.seq)).toEqual([1])
    expect(store.reads).toBe(1)
  })

  it('reads at once when the replies were handed over before the webhook began to wait', async () => {
    const store = transcript()
    const waiter = new ReplyWaiter({ repliesAfter: store.repliesAfter, settled: store.settled, pollMs: 10_000, signal: stop.signal })
    store.add(1, 't_1')
    expect(waiter.wake('t_1')).toBe(false)
    expect((await waiter.replies('c1', 't_1', 0, 5000, { justAccepted: true }))!.map((r) => r.seq)).toEqual([1])
  })

  it('tells a turn that said nothing from one still running', async () => {
    const store = transcript()
    store.settle('t_quiet')
    const waiter = new ReplyWaiter({ repliesAfter: store.repliesAfter, settled: store.settled, pollMs: 10_000, signal: stop.signal })
    expect(await waiter.replies('c1', 't_quiet', 0, 5000)).toEqual([])
  })

  it('reads again after seeing the turn settled, so a commit between the read and the check is not taken for silence', async () => {
    const store = transcript()
    const waiter = new ReplyWaiter({
      repliesAfter: store.repliesAfter,
      settled: async (turnId) => {
        // The commit lands right after the first read found nothing.
        store.add(1, turnId)
        return true
      },
      pollMs: 10_000,
      signal: stop.signal,
    })
    expect((await waiter.replies('c1', 't_1', 0, 5000))!.map((r) => r.seq)).toEqual([1])
  })

  it('finds replies another replica wrote by reading the transcript again', async () => {
    const store = transcript()
    const waiter = new ReplyWaiter({ repliesAfter: store.repliesAfter, settled: store.settled, pollMs: 20, signal: stop.signal })
    const waiting = waiter.replies('c1', 't_1', 0, 5000)
    setTimeout(() => store.add(1, 't_1'), 50)
    expect((await waiting)!.map((r) => r.seq)).toEqual([1])
  })

  it('gives up after the time it was given, leaving no timer behind', async () => {
    const before = activeTimers()
    const store = transcript()
    const waiter = new ReplyWaiter({ repliesAfter: store.repliesAfter, settled: store.settled, pollMs: 20, signal: stop.signal })
    expect(await waiter.replies('c1', 't_1', 0, 120)).toBeUndefined()
    expect(store.reads).toBeGreaterThan(1)
    expect(waiter.size).toBe(0)
    expect(activeTimers()).toBeLessThanOrEqual(before)
  })

  it('ends every wait at once when the channel stops', async () => {
    const before = activeTimers()
    const store = transcript()
    const channel = new AbortController()
    const waiter = new ReplyWaiter({ repliesAfter: store.repliesAfter, settled: store.settled, pollMs: 10_000, signal: channel.signal })
    const waits = [waiter.replies('c1', 't_1', 0, 60_000), waiter.replies('c1', 't_1', 0, 60_000), waiter.replies('c2', 't_2', 0, 60_000)]
    await new Promise((resolve) => setImmediate(resolve))
    channel.abort()
    expect(await Promise.all(waits)).toEqual([undefined, undefined, undefined])
    expect(waiter.size).toBe(0)
    expect(activeTimers()).toBeLessThanOrEqual(before)
  })

  it('passes a store failure on, so the caller can be told to hold on', async () => {
    const waiter = new ReplyWaiter({ repliesAfter: () => Promise.reject(new Error('connection refused')), settled: async () => false, pollMs: 10, signal: stop.signal })
    await expect(waiter.replies('c1', 't_1', 0, 1000)).rejects.toThrow('connection refused')
    expect(waiter.size).toBe(0)
  })
})
