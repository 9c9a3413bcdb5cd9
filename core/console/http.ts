import type { Context, Middleware } from 'koa'
import { sbError } from '../errors.js'
import type { ConsoleAsset } from './page.js'

export const CONSOLE_PREFIX = '/console'

/** The console's HTTP routes: its page and files, and sign-in. Anything else under /console is the gateway's usual 404. */
export function consoleRoutes(handlers: { assets: () => Promise<ReadonlyMap<string, ConsoleAsset>>; signIn: (ctx: Context) => Promise<void> }): Middleware {
  return async (ctx) => {
    if (ctx.path === `${CONSOLE_PREFIX}/session` && ctx.method === 'POST') {
      ctx.state.route = ctx.path
      return handlers.signIn(ctx)
    }
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      const name = ctx.path === CONSOLE_PREFIX || ctx.path === `${CONSOLE_PREFIX}/` ? 'console.html' : ctx.path.slice(CONSOLE_PREFIX.length + 1)
      const asset = (await handlers.assets()).get(name)
      if (asset) {
        ctx.state.route = `${CONSOLE_PREFIX}/${name === 'console.html' ? '' : ':file'}`
        ctx.set(asset.headers)
        ctx.body = asset.body
        return
      }
    }
    throw sbError('SB_ERR_NOT_FOUND')
  }
}
