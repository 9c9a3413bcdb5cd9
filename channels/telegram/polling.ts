import type { Logger } from 'pino'
import type { Opts, Update } from 'telegraf/types'
import { backoffMs, isSwitchboardError, storableJson, type Undo } from '../../core/index.js'
import { sleep } from './sleep.js'
import { ApiError, type TelegramClient } from './client.js'
import { WireUpdate } from './inbound.js'
import type { UpdateReceiver } from './receiver.js'
import { claimBot } from './registration.js'

export interface PollingDeps {
  client: TelegramClient
  receiver: UpdateReceiver
  allowedUpdates: readonly string[]
  pollTimeoutSeconds: number
  requestTimeoutMs: number
  log: Logger
  /** Ends the loop, aborting the long poll in flight. */
  signal: AbortSignal
}

/**
 * getUpdates long polling, for development without a public URL. The offset that confirms a batch
 * to Telegram is sent only once every update of it was accepted into the inbox; a refused one is
 * retried (backing off) before anything after it. Errors back off; nothing spins.
 */
export class Poller {
  #webhookToDelete = true

  constructor(private readonly deps: PollingDeps) {}

  /** Called when this instance takes the bot back from a newer one that had set a webhook. */
  reclaim(): void {
    this.#webhookToDelete = true
  }

  async run(): Promise<void> {
    const { client, signal, log } = this.deps
    let offset: number | undefined
    for (let failures = 0; !signal.aborted; ) {
      try {
        if (this.#webhookToDelete) {
          // getUpdates is refused (409) while a webhook is set.
          await client.call('deleteWebhook', {}, { signal })
          this.#webhookToDelete = false
        }
        const updates = await client.call(
          'getUpdates',
          { timeout: this.deps.pollTimeoutSeconds, allowed_updates: this.deps.allowedUpdates as Opts<'getUpdates'>['allowed_updates'], ...(offset !== undefined ? { offset } : {}) },
          { signal, timeoutMs: this.deps.pollTimeoutSeconds * 1000 + this.deps.requestTimeoutMs },
        )
        failures = 0
        for (const update of updates) {
          if (!(await this.#accept(update))) return
          offset = update.update_id + 1
        }
      } catch (error) {
        if (signal.aborted) return
        failures++
        const failure = error instanceof ApiError ? error.failure : undefined
        const wait = failure?.kind === 'refused' && failure.retryAfterMs !== undefined ? failure.retryAfterMs : backoffMs(failures, { minDelayMs: 1000, maxDelayMs: 30_000 })
        log.warn({ err: error, retryInMs: wait }, 'getUpdates failed; polling again after a pause')
        await sleep(wait, signal)
      }
    }
  }

  /** True once the update is in the inbox (or ignored, or unreadable); false when stopped first. */
  async #accept(raw: Update): Promise<boolean> {
    const { signal, log } = this.deps
    // The webhook path gets this from parseWebhookJson; here telegraf parsed the JSON.
    const parsed = WireUpdate.safeParse(storableJson(raw))
    if (!parsed.success) {
      log.warn({ update: raw.update_id, issues: parsed.error.issues.slice(0, 3) }, 'skipping an update that is not well-formed')
      return true
    }
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.deps.receiver.receive(parsed.data as unknown as Update)
        return true
      } catch (error) {
        const wait = isSwitchboardError(error) && error.retryAfterMs !== undefined ? error.retryAfterMs : backoffMs(attempt, { minDelayMs: 1000, maxDelayMs: 30_000 })
        log.warn({ err: error, update: raw.update_id, retryInMs: wait }, 'update not accepted; trying it again before any later one')
        await sleep(wait, signal)
      }
    }
    return false
  }
}

/** Starts polling for a bot (claimed in this process, see registration.ts); the undo ends the loop and waits for it. */
export function startPolling(deps: PollingDeps, botKey: string): Undo {
  const poller = new Poller(deps)
  const claim = claimBot(botKey, poller)
  const running = poller.run().catch((error) => deps.log.error({ err: error }, 'polling stopped unexpectedly'))
  return async () => {
    const { next } = claim.release()
    await running
    next?.reclaim()
  }
}
