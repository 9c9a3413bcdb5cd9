import type { Context, Middleware } from 'koa'
import type { Logger } from 'pino'
import { isSwitchboardError } from '../../core/index.js'
import type { CallRequest } from './call-request.js'

type Query = Record<string, string | string[] | undefined>

export interface TwimlRouteDeps {
  /** Verifies the request (415, 413, 403, 400 are thrown from here). */
  read: (ctx: Context) => Promise<CallRequest>
  log: Logger
}

/**
 * POST /t/<tenant>/<instance>/<route>: verify → answer with TwiML, always `text/xml`. A failure the
 * flow did not turn into words itself gets `lastWords` rather than a 5xx, which Twilio would play
 * as "an application error has occurred"; without `lastWords` (status callbacks, where nobody
 * listens) it is the error status, and Twilio may retry.
 */
export function twimlRoute(deps: TwimlRouteDeps, answer: (call: CallRequest, query: Query) => Promise<string>, lastWords?: () => string): Middleware {
  return async (ctx) => {
    const call = await deps.read(ctx)
    let twiml: string
    try {
      twiml = await answer(call, ctx.query)
    } catch (error) {
      if (!lastWords || (isSwitchboardError(error) && error.status < 500)) throw error
      deps.log.error({ err: error, call: call.callSid, route: ctx.path }, 'could not answer a call request; apologising and hanging up')
      twiml = lastWords()
    }
    ctx.type = 'text/xml'
    ctx.body = twiml
  }
}
