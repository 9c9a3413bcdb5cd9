import type { Context } from 'koa'
import { sbError } from '../../errors.js'
import { readRawBody } from '../../plugin/webhook.js'

/**
 * Reads a JSON body within `limit` bytes. The size is enforced while reading, so a client lying
 * in Content-Length (or sending none) cannot make us buffer more than the limit.
 */
export async function readJsonBody(ctx: Context, limit: number): Promise<unknown> {
  const type = ctx.request.type
  if (type !== 'application/json') throw sbError('SB_ERR_UNSUPPORTED_MEDIA_TYPE', `the body must be application/json, got ${type || 'no Content-Type'}`)
  const raw = await readRawBody(ctx, limit)
  const text = raw.toString('utf8')
  if (text.trim() === '') throw sbError('SB_ERR_BODY_INVALID', 'the body is empty; a JSON object is required', [{ path: 'body', message: 'required' }])
  try {
    return JSON.parse(text)
  } catch (error) {
    throw sbError('SB_ERR_BODY_INVALID', `the body is not valid JSON: ${(error as Error).message}`, [{ path: 'body', message: 'not valid JSON' }])
  }
}
