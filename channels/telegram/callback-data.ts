import { createHash } from 'node:crypto'
import type { Part } from '../../core/index.js'

/** Bot API: `callback_data` is 1–64 bytes. */
const MAX_CALLBACK_BYTES = 64
/** Marks a reference to a value too long to travel itself; a value starting with it is always referenced. */
const PREFIX = 'sb#'
const REFERENCE = /^sb#(\d{1,15})\.([A-Za-z0-9_-]{16})$/

const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 16)

/**
 * The `callback_data` of a button whose press must come back as `value`. A value that fits travels
 * as itself; a longer one as the seq of the message it was sent with plus a digest of the value,
 * which the transcript (persisted before the send, on every replica) turns back into the value.
 */
export function callbackData(value: string, seq: number): string {
  if (Buffer.byteLength(value, 'utf8') <= MAX_CALLBACK_BYTES && !value.startsWith(PREFIX)) return value
  return `${PREFIX}${seq}.${digest(value)}`
}

export interface CallbackReference {
  seq: number
  digest: string
}

/** The message and value a referencing `callback_data` points at; undefined for a value that travelled itself. */
export function parseCallbackData(data: string): CallbackReference | undefined {
  const match = REFERENCE.exec(data)
  return match ? { seq: Number(match[1]), digest: match[2]! } : undefined
}

/** The button value among a sent message's parts that a reference's digest names. */
export function valueIn(parts: readonly Part[], reference: CallbackReference): string | undefined {
  for (const part of parts) {
    const values = part.type === 'choice' ? part.options.map((o) => o.value) : part.type === 'card' ? part.actions.filter((a) => a.type === 'postback').map((a) => a.value) : []
    const found = values.find((value) => digest(value) === reference.digest)
    if (found !== undefined) return found
  }
  return undefined
}
