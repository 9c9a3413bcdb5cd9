import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { Opts } from 'telegraf/types'
import { backoffMs, type Undo } from '../../core/index.js'
import { sleep } from './sleep.js'
import { ApiError, type TelegramClient } from './client.js'

/** A channel instance that takes a bot's updates (by webhook or by polling). */
export interface BotClaim {
  /** Takes the updates back: the newer instance that had them stopped while this one runs on. */
  reclaim(): void
}

/**
 * Per bot (a digest of its token), the instances in this process that take its updates, oldest
 * first; the last one owns them. A reload starts the new instance before it stops the old one,
 * so the old one must not undo what the new one just set up.
 */
const claims = new Map<string, BotClaim[]>()

export const botKey = (botToken: string): string => createHash('sha256').update(botToken).digest('hex')

/** Claims a bot's updates; `release` says whether this claim still owned them, and who owns them now. */
export function claimBot(key: string, claim: BotClaim): { release(): { owned: boolean; next?: BotClaim } } {
  claims.set(key, [...(claims.get(key) ?? []), claim])
  return {
    release() {
      const list = claims.get(key) ?? []
      const owned = list.at(-1) === claim
      const rest = list.filter((c) => c !== claim)
      if (rest.length > 0) claims.set(key, rest)
      else claims.delete(key)
      return { owned, ...(owned && rest.length > 0 ? { next: rest.at(-1)! } : {}) }
    },
  }
}

export interface WebhookDeps {
  client: TelegramClient
  key: string
  url: string
  secret: string
  allowedUpdates: readonly string[]
  maxConnections: number
  log: Logger
  /** Stops retries (the channel's scope signal, aborted as soon as it starts stopping). */
  signal: AbortSignal
  closing: () => boolean
}

/**
 * Registers the webhook in the background, retrying until it sticks (a 429 waits its
 * retry_after), so a flood-limited restart cannot fail the gateway's startup. The undo deletes
 * the webhook, unless a newer instance of the bot took it over, an older one is still running and
 * takes it back, or the whole gateway is shutting down — then other replicas and the next start
 * keep serving it, and Telegram holds updates for 24 h meanwhile.
 */
export function holdWebhook(deps: WebhookDeps): Undo {
  const { client, log, signal } = deps
  const payload: Opts<'setWebhook'> = {
    url: deps.url,
    secret_token: deps.secret,
    allowed_updates: deps.allowedUpdates as Opts<'setWebhook'>['allowed_updates'],
    max_connections: deps.maxConnections,
  }
  const register = async () => {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await client.call('setWebhook', payload, { signal })
        log.info({ url: deps.url }, 'Telegram webhook registered')
        return
      } catch (error) {
        if (signal.aborted) return
        const failure = error instanceof ApiError ? error.failure : undefined
        const wait = failure?.kind === 'refused' && failure.retryAfterMs !== undefined ? failure.retryAfterMs : backoffMs(attempt, { minDelayMs: 1000, maxDelayMs: 300_000 })
        log.warn({ err: error, retryInMs: wait }, 'setWebhook failed; trying again in the background')
        await sleep(wait, signal)
      }
    }
  }
  let registering = register()
  const claim = claimBot(deps.key, { reclaim: () => void (registering = register()) })
  return async () => {
    const { owned, next } = claim.release()
    await registering
    if (!owned) return log.info('a newer instance of this bot owns its webhook; left in place')
    if (next) return next.reclaim()
    if (deps.closing()) return log.info('gateway shutting down; webhook left registered for the replicas and the restart that keep serving')
    try {
      await client.call('deleteWebhook', {})
      log.info('Telegram webhook deleted')
    } catch (error) {
      log.warn({ err: error }, 'deleteWebhook failed; Telegram will keep trying the old URL')
    }
  }
}
