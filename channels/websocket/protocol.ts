import { z } from 'zod'
import { storableText, type ErrorCode, type Part } from '../../core/index.js'

const clientId = z.string().min(1).max(64)

/** Frames a client may send; anything else is SB_ERR_FRAME_INVALID. */
export const ClientFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    token: z.string().max(4096).optional(),
    after_seq: z.number().int().min(0).optional(),
    user: z.object({ name: z.string().max(100).optional(), locale: z.string().max(35).optional() }).optional(),
  }),
  z.object({ type: z.literal('message'), client_id: clientId, text: z.string().min(1) }),
  z.object({ type: z.literal('postback'), client_id: clientId, value: z.string().min(1).max(1000), text: z.string().max(1000).optional() }),
  z.object({ type: z.literal('resume'), after_seq: z.number().int().min(0) }),
  z.object({ type: z.literal('history'), limit: z.number().int().min(1).max(200).optional() }),
  z.object({ type: z.literal('typing') }),
  z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }),
])
export type ClientFrame = z.infer<typeof ClientFrame>

export type DecodeResult = { ok: true; frame: ClientFrame } | { ok: false; message: string }

/** Pure: raw socket data → a validated frame, or why not. */
export function decodeFrame(data: string): DecodeResult {
  let value: unknown
  try {
    // NUL and lone surrogates cannot be stored (PostgreSQL text/jsonb reject them); they become U+FFFD.
    value = data.includes('\\u') || data.includes('\0') ? JSON.parse(data, wellFormed) : JSON.parse(data)
  } catch {
    return { ok: false, message: 'frame is not valid JSON' }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'frame must be a JSON object' }
  const parsed = ClientFrame.safeParse(value)
  if (parsed.success) return { ok: true, frame: parsed.data }
  const type = (value as { type?: unknown }).type
  const known = ClientFrame.options.some((o) => o.shape.type.value === type)
  if (!known) return { ok: false, message: `unknown frame type ${JSON.stringify(type ?? null).slice(0, 40)}` }
  const issue = parsed.error.issues[0]!
  return { ok: false, message: `${String(type)}: ${issue.path.join('.') || 'frame'}: ${issue.message}` }
}

const wellFormed = (_key: string, value: unknown) => (typeof value === 'string' ? storableText(value) : value)

export interface BotMessageFrame {
  type: 'message'
  id: string
  seq: number
  /** The turn that answered; a draft with the same turn_id is replaced by this message. */
  turn_id?: string
  text: string
  parts: Part[]
  at: string
}

export const encode = {
  welcome: (f: { token: string; expiresAt: Date; conversationId: string; visitorId: string; lastSeq: number; resumed: boolean; heartbeatMs: number }) =>
    JSON.stringify({
      type: 'welcome',
      token: f.token,
      expires_at: f.expiresAt.toISOString(),
      conversation_id: f.conversationId,
      visitor_id: f.visitorId,
      last_seq: f.lastSeq,
      resumed: f.resumed,
      heartbeat_ms: f.heartbeatMs,
    }),
  ack: (clientId: string, id: string, duplicate: boolean) => JSON.stringify({ type: 'ack', client_id: clientId, id, duplicate }),
  message: (m: { id: string; seq: number; turnId?: string; text: string; parts: Part[]; at: Date }) =>
    JSON.stringify({
      type: 'message',
      id: m.id,
      seq: m.seq,
      ...(m.turnId ? { turn_id: m.turnId } : {}),
      text: m.text,
      parts: m.parts,
      at: m.at.toISOString(),
    } satisfies BotMessageFrame),
  /** Part of a reply still being written; not stored, not seq'd: the final message replaces it. */
  draft: (turnId: string, delta: string) => JSON.stringify({ type: 'draft', turn_id: turnId, delta }),
  typing: (on: boolean) => (on ? TYPING_ON : TYPING_OFF),
  history: (messages: { id: string; direction: 'in' | 'out'; seq: number | null; text: string; parts: Part[]; at: Date }[]) =>
    JSON.stringify({
      type: 'history',
      messages: messages.map((m) => ({ id: m.id, direction: m.direction, ...(m.seq !== null ? { seq: m.seq } : {}), text: m.text, parts: m.parts, at: m.at.toISOString() })),
    }),
  token: (token: string, expiresAt: Date) => JSON.stringify({ type: 'token', token, expires_at: expiresAt.toISOString() }),
  error: (code: ErrorCode, message: string, extra: { clientId?: string; retryAfterMs?: number } = {}) =>
    JSON.stringify({
      type: 'error',
      code,
      message,
      ...(extra.clientId !== undefined ? { client_id: extra.clientId } : {}),
      ...(extra.retryAfterMs !== undefined ? { retry_after_ms: extra.retryAfterMs } : {}),
    }),
  pong: (id?: string) => JSON.stringify(id === undefined ? { type: 'pong' } : { type: 'pong', id }),
  goodbye: (retryAfterMs: number) => JSON.stringify({ type: 'goodbye', reason: 'shutdown', retry_after_ms: retryAfterMs }),
}

const TYPING_ON = JSON.stringify({ type: 'typing', on: true })
const TYPING_OFF = JSON.stringify({ type: 'typing', on: false })

export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
  protocol: 4400,
  unauthorized: 4401,
  helloTimeout: 4408,
  replaced: 4409,
} as const
