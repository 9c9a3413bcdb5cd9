import { createRemoteJWKSet, jwtVerify } from 'jose'
import { failed } from '../ws-chat/server-control.js'
import { keepAliveAgent, postJson, readBody } from './http.js'
import { cachedToken, secretMatches, serveKoa, setting, WEBHOOK_PATH } from './server-kit.js'

/**
 * The floor: what any Node webhook bot on Koa pays. Reads the raw body, checks the credential,
 * posts `echo: <text>` back over a keep-alive agent and answers 200 once that post was answered
 * (as telegraf's handleUpdate and botbuilder's process do), 500 if it failed.
 */
const agent = keepAliveAgent()
const platform = setting('BENCH_PLATFORM')

if (platform === 'telegram') {
  const secret = setting('BENCH_SECRET')
  const sendMessage = new URL(`${setting('BENCH_API_ROOT')}/bot${setting('BENCH_BOT_TOKEN')}/sendMessage`)
  serveKoa(WEBHOOK_PATH.telegram, async (ctx) => {
    if (!secretMatches(ctx.get('x-telegram-bot-api-secret-token') || undefined, secret)) {
      ctx.status = 403
      return
    }
    const update = JSON.parse(await readBody(ctx.req)) as { message?: { chat: { id: number }; text?: string } }
    const message = update.message
    if (message?.text !== undefined) {
      const answer = await postJson(agent, sendMessage, JSON.stringify({ chat_id: message.chat.id, text: `echo: ${message.text}` }))
      if (answer.status !== 200) throw new Error(`sendMessage answered ${answer.status}`)
    }
    ctx.status = 200
  })
} else {
  // The JWT is verified (jose: RS256 signature against the channel's JWKS, issuer, audience,
  // lifetime, serviceurl claim) like the SDK and the gateway do; key endorsements are not checked.
  const appId = setting('BENCH_APP_ID')
  const serviceUrls = setting('BENCH_SERVICE_URLS').split(',')
  const token = cachedToken(setting('BENCH_TOKEN_URL'), appId, setting('BENCH_APP_PASSWORD'))
  const metadata = await fetch(setting('BENCH_OPENID_URL')).then((r) => r.json() as Promise<{ jwks_uri: string }>, failed)
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri))
  await token()
  serveKoa(WEBHOOK_PATH.teams, async (ctx) => {
    const bearer = /^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1]
    const activity = JSON.parse(await readBody(ctx.req)) as {
      type: string
      id: string
      text?: string
      serviceUrl: string
      conversation: { id: string }
      from: unknown
      recipient: unknown
    }
    try {
      if (!bearer) throw new Error('no token')
      const { payload } = await jwtVerify(bearer, jwks, { issuer: 'https://api.botframework.com', audience: appId, algorithms: ['RS256'], clockTolerance: 300 })
      if (payload.serviceurl !== activity.serviceUrl || !serviceUrls.some((u) => activity.serviceUrl.startsWith(u))) throw new Error('serviceUrl')
    } catch {
      ctx.status = 401
      return
    }
    if (activity.type === 'message') {
      const url = new URL(`v3/conversations/${encodeURIComponent(activity.conversation.id)}/activities`, activity.serviceUrl)
      const reply = { type: 'message', text: `echo: ${activity.text}`, replyToId: activity.id, from: activity.recipient, recipient: activity.from, conversation: activity.conversation }
      const answer = await postJson(agent, url, JSON.stringify(reply), { authorization: `Bearer ${await token()}` })
      if (answer.status < 200 || answer.status > 299) throw new Error(`the connector answered ${answer.status}`)
    }
    ctx.status = 200
  })
}
