import pino from 'pino'
import type { InboundActivity } from '../../core/message/index.js'
import { createTurn, type Turn } from '../../core/pipeline/turn.js'

export const silentLog = pino({ level: 'silent' })

export interface ActivityOptions {
  id?: string
  tenant?: string
  instance?: string
  conversationId?: string
  user?: string
  locale?: string
}

/** A user's text message as a channel would normalise it. */
export function textActivity(text: string, options: ActivityOptions = {}): InboundActivity {
  const { id = 'm1', tenant = 'acme', instance = 'web', conversationId = 'c1', user = 'u1', locale } = options
  return {
    id,
    tenant,
    channel: 'test',
    instance,
    conversation: { id: conversationId, tenant, channel: 'test', instance, externalId: user },
    from: { id: user, role: 'user' },
    at: new Date(),
    kind: 'message',
    text,
    parts: [{ type: 'text', text }],
    raw: { text },
    ...(locale ? { locale } : {}),
  }
}

/** A turn for that message, ready to hand to plugins. */
export const turnFor = (text: string, options: ActivityOptions = {}): Turn =>
  createTurn({ id: 't1', activity: textActivity(text, options), log: silentLog, signal: new AbortController().signal })
