import { z } from 'zod'
import { Part } from './parts.js'

export const Party = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  role: z.enum(['user', 'bot', 'agent']).default('user'),
})
export type Party = z.infer<typeof Party>

/** Where a conversation lives: enough to send into it again later, from any replica. */
export const ConversationRef = z.object({
  /** Switchboard's own conversation id (stable across channels' reconnects). */
  id: z.string().min(1),
  tenant: z.string().min(1),
  channel: z.string().min(1),
  instance: z.string().min(1),
  /** The platform's id for the chat/thread/visitor. */
  externalId: z.string().min(1),
})
export type ConversationRef = z.infer<typeof ConversationRef>

export const ActivityKind = z.enum(['message', 'postback', 'typing', 'edit', 'event'])
export type ActivityKind = z.infer<typeof ActivityKind>

export const InboundActivity = z.object({
  /** The platform's message id; the inbox deduplicates on (tenant, instance, id). */
  id: z.string().min(1),
  tenant: z.string().min(1),
  channel: z.string().min(1),
  instance: z.string().min(1),
  conversation: ConversationRef,
  from: Party,
  at: z.coerce.date(),
  kind: ActivityKind,
  text: z.string(),
  parts: z.array(Part),
  replyTo: z.string().optional(),
  locale: z.string().optional(),
  voice: z.object({ confidence: z.number().min(0).max(1).optional(), dtmf: z.string().optional() }).optional(),
  /** The platform payload as received, for plugins that need what the model leaves out. */
  raw: z.unknown(),
})
export type InboundActivity = z.infer<typeof InboundActivity>

export const Reply = z.object({
  parts: z.array(Part).min(1),
  /** What a voice channel says instead of the text, when it differs. */
  speak: z.string().optional(),
  inputHint: z.enum(['accepting', 'expecting', 'ignoring']).optional(),
  handoff: z.boolean().optional(),
})
export type Reply = z.infer<typeof Reply>

/**
 * A plain text message from a user, as a channel would normalise it: for tools that speak to the
 * pipeline without a channel (evaluation, benchmarks, tests).
 */
export function textMessage(text: string, at: { tenant: string; conversationId: string; id?: string; channel?: string; instance?: string; user?: string; locale?: string }): InboundActivity {
  const { tenant, conversationId, id = conversationId, channel = 'internal', instance = channel, user = conversationId, locale } = at
  return {
    id,
    tenant,
    channel,
    instance,
    conversation: { id: conversationId, tenant, channel, instance, externalId: user },
    from: { id: user, role: 'user' },
    at: new Date(),
    kind: 'message',
    text,
    parts: [{ type: 'text', text }],
    raw: { text },
    ...(locale ? { locale } : {}),
  }
}
