import pino from 'pino'
import type { Update } from 'telegraf/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sbError } from '../../core/index.js'
import { startFakeTelegram, type FakeTelegram } from '../../test/fakes/telegram.js'
import { TelegramClient } from './client.js'
import { Poller } from './polling.js'
import type { UpdateReceiver } from './receiver.js'

describe('long polling', () => {
  let fake: FakeTelegram
  let client: TelegramClient
  let stop: AbortController
  let running: Promise<void>
  const accepted: number[] = []
  const refusals: number[] = []

  const start = (receive: (update: Update) => Promise<'accepted'>, pollTimeoutSeconds = 1) => {
    const receiver = { receive } as unknown as UpdateReceiver
    const poller = new Poller({ client, receiver, allowedUpdates: ['message'], pollTimeoutSeconds, requestTimeoutMs: 1000, log: pino({ level: 'silent' }), signal: stop.signal })
    running = poller.run()
  }

  beforeEach(async () => {
    fake = await startFakeTelegram({ limits: false })
    client = new TelegramClient({ botToken: fake.token, apiRoot: fake.apiRoot, requestTimeoutMs: 1000 })
    stop = new AbortController()
    accepted.length = 0
    refusals.length = 0
  })
  afterEach(async () => {
    stop.abort()
    await running
    client.close()
    await fake.close()
  })

  it('confirms a batch only once every update in it was accepted, retrying a refused one in order', async () => {
    const updates = [1, 2, 3].map((n) => fake.updates.message({ chatId: 10, text: `m${n}` }))
    fake.enqueue(...updates)
    const second = updates[1]!.update_id
    start(async (update) => {
      if (update.update_id === second && refusals.length < 2) {
        refusals.push(update.update_id)
        throw Object.assign(sbError('SB_ERR_RATE_LIMITED'), { retryAfterMs: 20 })
      }
      accepted.push(update.update_id)
      return 'accepted'
    })
    await fake.waitFor(() => fake.callsTo('getUpdates').some((c) => c.params.offset === updates[2]!.update_id + 1), 5000)
    expect(accepted).toEqual(updates.map((u) => u.update_id))
    expect(refusals).toEqual([second, second])
    // No poll confirmed anything in between: the offset went from nothing to past the whole batch.
    expect(fake.callsTo('getUpdates').map((c) => c.params.offset)).toEqual([undefined, updates[2]!.update_id + 1])
    expect(fake.calls[0]!.method).toBe('deleteWebhook')
  })

  it('backs off on errors instead of spinning, and stops at once, mid-poll', async () => {
    fake.fault({ method: 'getUpdates', status: 502 })
    start(async (update) => (accepted.push(update.update_id), 'accepted'), 50)
    await fake.waitFor(() => fake.callsTo('getUpdates').some((c) => c.status === null), 10_000)
    expect(fake.callsTo('getUpdates').map((c) => c.status)).toEqual([502, null])
    // The long poll in flight is aborted: the loop ends without waiting for Telegram's answer.
    stop.abort()
    await running
    client.close()
    await fake.waitFor(() => fake.openConnections() === 0)
  })
})
