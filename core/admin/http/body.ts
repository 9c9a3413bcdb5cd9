import type { Context } from 'koa'
import { sbError } from '../../errors.js'

/**
 * Reads a JSON body within `limit` bytes. The size is enforced while reading, so a client lying
 * in Content-Length (or sending none) cannot make us buffer more than the limit.
 */
export async function readJsonBody(ctx: Context, limit: number): Promise<unknown> {
  const type = ctx.request.type
  if (type !== 'application/json') throw sbError('SB_ERR_UNSUPPORTED_MEDIA_TYPE', `the body must be application/json, got ${type || 'no Content-Type'}`)
  const declared = Number(ctx.get('content-length') || 0)
  if (declared > limit) throw tooLarge(ctx, `the body is ${declared} bytes; the limit is ${limit}`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw tooLarge(ctx, `the body exceeds the limit of ${limit} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') throw sbError('SB_ERR_BODY_INVALID', 'the body is empty; a JSON object is required', [{ path: 'body', message: 'required' }])
  try {
    return JSON.parse(text)
  } catch (error) {
    throw sbError('SB_ERR_BODY_INVALID', `the body is not valid JSON: ${(error as Error).message}`, [{ path: 'body', message: 'not valid JSON' }])
  }
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
