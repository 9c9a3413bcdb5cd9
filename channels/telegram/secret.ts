import { createHmac } from 'node:crypto'
import { sameSecret } from '../../core/index.js'

/**
 * The webhook secret when the config names none: a pure function of the bot token, tenant and
 * instance, so every replica (and every restart) derives the same one without shared state, and
 * two instances of one bot never share it. base64url stays inside Telegram's `[A-Za-z0-9_-]`.
 */
export function deriveWebhookSecret(botToken: string, tenant: string, instance: string): string {
  return createHmac('sha256', botToken).update(`switchboard/telegram-webhook/${tenant}/${instance}`).digest('base64url')
}

/**
 * Whether the presented X-Telegram-Bot-Api-Secret-Token is the current secret or one still
 * accepted after a rotation. Every candidate is compared, in constant time, whatever matched.
 */
export function secretAccepted(presented: string | undefined, accepted: readonly string[]): boolean {
  let ok = false
  for (const candidate of accepted) ok = sameSecret(presented, candidate) || ok
  return ok
}
