import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'koa'
import { sbError } from '../errors.js'
import { storableJson } from '../message/storable.js'

/**
 * Reads a request body as raw bytes within `limit`. The size is enforced while reading, so a
 * client lying in Content-Length (or sending none, chunked) cannot make us buffer more than the
 * limit. Signatures are computed over exactly these bytes.
 */
export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0)
  if (declared > limit) throw tooLarge(ctx, `the body is ${declared} bytes; the limit is ${limit}`)
  if (ctx.get('content-encoding') && ctx.get('content-encoding') !== 'identity')
    throw sbError('SB_ERR_UNSUPPORTED_MEDIA_TYPE', 'compressed bodies are not accepted')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw tooLarge(ctx, `the body exceeds the limit of ${limit} bytes`)
    chunks.push(chunk)
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

/**
 * The rest of an oversize body is never read, so the connection cannot carry another request:
 * left open, the client's next request on it would wait for an answer that never comes (or the
 * unread bytes would be taken for a request). The 413 closes it.
 */
function tooLarge(ctx: Context, message: string) {
  ctx.set('Connection', 'close')
  return sbError('SB_ERR_BODY_TOO_LARGE', message)
}

/** Deeper than any platform payload; a 10k-level nesting is an attack on whoever walks it. */
const MAX_DEPTH = 64
const SUSPICIOUS_ESCAPE = /\\u(?:0000|d[89a-f])/i

/**
 * Parses a JSON webhook body. Strings come out storable: a lone surrogate or NUL (legal JSON,
 * refused by PostgreSQL's jsonb) becomes U+FFFD, so an accepted message can never fail to be
 * stored and be retried by the platform forever.
 */
export function parseWebhookJson(raw: Buffer): unknown {
  const text = raw.toString('utf8')
  if (text.trim() === '') throw sbError('SB_ERR_BODY_INVALID', 'the body is empty; a JSON object is required', [{ path: 'body', message: 'required' }])
  const depth = nestingDepth(text)
  if (depth > MAX_DEPTH) throw sbError('SB_ERR_BODY_INVALID', `the body nests ${depth} levels deep; the limit is ${MAX_DEPTH}`, [{ path: 'body', message: 'too deep' }])
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw sbError('SB_ERR_BODY_INVALID', `the body is not valid JSON: ${(error as Error).message}`, [{ path: 'body', message: 'not valid JSON' }])
  }
  return SUSPICIOUS_ESCAPE.test(text) ? storableJson(value) : value
}

/** Deepest bracket nesting outside strings, in one pass and without recursion. */
function nestingDepth(text: string): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) deepest = Math.max(deepest, ++depth)
    else if (c === 125 || c === 93) depth--
  }
  return deepest
}

/**
 * Compares a presented secret with the expected one in constant time. Both are hashed first, so
 * neither the length nor the position of the first difference shows in the timing.
 */
export function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b) && presented.length === expected.length
}
