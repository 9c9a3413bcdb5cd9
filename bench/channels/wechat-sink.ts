import { randomBytes } from 'node:crypto'
import { readBody } from './http.js'
import type { WeChatIdentity } from './messages.js'
import { closer, listen, send, type ReplyHandler, type Sink } from './sinks.js'

const OK = '{"errcode":0,"errmsg":"ok"}'
const INVALID_TOKEN = '{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest"}'

/**
 * The Official Account API at `apiRoot`: an access_token (`GET /cgi-bin/token`, or the
 * `stable_token` POST) issued once and checked on every call, and the customer-service API's
 * `message/custom/send` and `custom/typing`. Answers are HTTP 200 with an errcode, as WeChat's are.
 */
export async function startWeChatSink(account: WeChatIdentity, handler: ReplyHandler): Promise<Sink> {
  const accessToken = randomBytes(102).toString('base64url')
  const issued = JSON.stringify({ access_token: accessToken, expires_in: 7200 })
  const credentials = (appId: unknown, secret: unknown) =>
    appId !== account.appId ? '{"errcode":40013,"errmsg":"invalid appid"}' : secret !== account.appSecret ? '{"errcode":40125,"errmsg":"invalid appsecret"}' : issued
  const { server, base } = await listen(async (req, res) => {
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://sink')
    const query = url.searchParams
    if (req.method === 'GET' && url.pathname === '/cgi-bin/token') {
      if (query.get('grant_type') !== 'client_credential') return send(res, 200, '{"errcode":40002,"errmsg":"invalid grant_type"}')
      return send(res, 200, credentials(query.get('appid'), query.get('secret')))
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/stable_token') {
      const params = JSON.parse(body) as { grant_type?: string; appid?: string; secret?: string }
      if (params.grant_type !== 'client_credential') return send(res, 200, '{"errcode":40002,"errmsg":"invalid grant_type"}')
      return send(res, 200, credentials(params.appid, params.secret))
    }
    if (req.method === 'POST' && url.pathname.startsWith('/cgi-bin/message/custom/')) {
      if (query.get('access_token') !== accessToken) return send(res, 200, INVALID_TOKEN)
      const message = JSON.parse(body) as { touser?: string; msgtype?: string; text?: { content?: string }; command?: string }
      if (url.pathname === '/cgi-bin/message/custom/typing') {
        handler.typing()
        return send(res, 200, OK)
      }
      if (url.pathname === '/cgi-bin/message/custom/send' && message.msgtype === 'text') {
        handler.reply(String(message.touser), String(message.text?.content))
        return send(res, 200, OK)
      }
      return send(res, 200, '{"errcode":40008,"errmsg":"invalid message type"}')
    }
    return send(res, 404, '{"errcode":-1,"errmsg":"no such api"}')
  })
  return { urls: { base }, close: closer(server) }
}
