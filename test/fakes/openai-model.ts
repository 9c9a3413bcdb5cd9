import { createHash } from 'node:crypto'

/**
 * The fake's stand-in for a model: deterministic tokens, answers and embeddings, so tests can
 * predict every byte the fake sends.
 */

const CJK_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}'
const CJK = new RegExp(`[${CJK_CLASS}]`, 'u')
const CJK_SPLIT = new RegExp(`[${CJK_CLASS}]|[^${CJK_CLASS}]+`, 'gu')

/**
 * Splits text into the pieces the fake streams and counts as tokens: a word with the whitespace
 * after it, or one CJK character (CJK has no spaces, and a whole sentence as one token would
 * make streaming tests meaningless). Joining the pieces always gives the text back.
 */
export function tokenize(text: string): string[] {
  const pieces: string[] = []
  for (const run of text.match(/\s+|\S+\s*/g) ?? []) {
    for (const part of CJK.test(run) ? (run.match(CJK_SPLIT) ?? []) : [run]) {
      // Whitespace after a CJK character belongs to that character's piece.
      if (/^\s+$/.test(part) && pieces.length > 0) pieces[pieces.length - 1] += part
      else pieces.push(part)
    }
  }
  return pieces
}

export const countTokens = (text: string): number => tokenize(text).length

export interface FakeChatMessage {
  role: string
  content?: unknown
  name?: string
}

/** Text of a message's content, whether a string or an array of content parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content))
    return content.map((part) => (part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : '')).join('')
  return ''
}

// OpenAI's own rule of thumb for chat framing: a few tokens per message plus the reply primer.
const PER_MESSAGE = 3
const PRIMER = 3

export const promptTokens = (messages: readonly FakeChatMessage[]): number =>
  messages.reduce((sum, m) => sum + PER_MESSAGE + countTokens(contentText(m.content)), PRIMER)

export function lastUserText(messages: readonly FakeChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user') return contentText(messages[i]!.content)
  return ''
}

/** Native sizes of the embedding models the fake knows; others get 1536 like text-embedding-3-small. */
export const nativeDimensions = (model: string): number => (model === 'text-embedding-3-large' ? 3072 : 1536)

/**
 * A unit vector for the text by feature hashing its lower-cased words (and CJK characters): the
 * same text always gives the same vector, and texts sharing words point the same way, so
 * similarity search over fake embeddings behaves plausibly.
 */
export function embed(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0)
  const features = tokenize(text.toLowerCase())
    .map((t) => t.trim().replace(/[^\p{L}\p{N}]/gu, ''))
    .filter(Boolean)
  for (const feature of features.length > 0 ? features : [`\u0000${text}`]) {
    const digest = createHash('sha256').update(feature).digest()
    // Two buckets per feature so short texts do not collapse onto a handful of axes.
    for (let k = 0; k < 2; k++) {
      const index = digest.readUInt32LE(k * 8) % dimensions
      const sign = digest[k * 8 + 4]! & 1 ? 1 : -1
      vector[index]! += sign
    }
  }
  const norm = Math.hypot(...vector) || 1
  return vector.map((v) => Math.fround(v / norm))
}

/** The wire form OpenAI uses for `encoding_format: 'base64'`: little-endian float32, base64. */
export function toBase64(vector: readonly number[]): string {
  const buffer = Buffer.alloc(vector.length * 4)
  vector.forEach((v, i) => buffer.writeFloatLE(v, i * 4))
  return buffer.toString('base64')
}
