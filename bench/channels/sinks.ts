import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AadTokens, CHANNEL_ISSUER, CONNECTOR_AUDIENCE, ChannelKeys } from '../../test/fakes/bot-framework-auth.js'
import { readBody } from './http.js'
import type { SinkUrls, TeamsIdentity } from './messages.js'

/**
 * The fake platforms during load. Unlike test/fakes (which record, validate and throttle
 * everything and would be the bottleneck) these only check the caller's credential, hand each
 * reply to the driver and answer with a small constant-shaped body.
 */
export interface ReplyHandler {
  reply(conversation: string, text: string): void
  typing(): void
}

export interface Sink {
  urls: SinkUrls
  close(): Promise<void>
}

export const send = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export async function listen(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, 500, JSON.stringify({ error: error.message })))
  })
  // Every server and client of the run holds keep-alive sockets to us; never time them out mid-window.
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

export const closer = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/** The Bot API at `apiRoot`: `POST /bot<token>/<method>`, JSON bodies (what telegraf sends for text). */
export async function startTelegramSink(botToken: string, handler: ReplyHandler): Promise<Sink> {
  const prefix = `/bot${botToken}/`
  let messageId = 0
  const { server, base } = await listen(async (req, res) => {
    const body = await readBody(req)
    if (!req.url?.startsWith(prefix)) return send(res, 401, '{"ok":false,"error_code":401,"description":"Unauthorized"}')
    const method = req.url.slice(prefix.length).split('?')[0]
    const params = body ? (JSON.parse(body) as Record<string, unknown>) : {}
    const now = Math.floor(Date.now() / 1000)
    switch (method) {
      case 'sendMessage':
        handler.reply(String(params.chat_id), String(params.text))
        return send(res, 200, JSON.stringify({ ok: true, result: { message_id: ++messageId, date: now, chat: { id: params.chat_id, type: 'private' }, text: params.text } }))
      case 'sendChatAction':
        handler.typing()
        return send(res, 200, '{"ok":true,"result":true}')
      case 'getMe':
        return send(res, 200, JSON.stringify({ ok: true, result: { id: Number(botToken.split(':')[0]), is_bot: true, first_name: 'Bench', username: 'bench_bot' } }))
      case 'setWebhook':
      case 'deleteWebhook':
        return send(res, 200, '{"ok":true,"result":true}')
      case 'getWebhookInfo':
        return send(res, 200, '{"ok":true,"result":{"url":"","has_custom_certificate":false,"pending_update_count":0}}')
      default:
        return send(res, 404, '{"ok":false,"error_code":404,"description":"Not Found: method not found"}')
    }
  })
  return { urls: { base }, close: closer(server) }
}

export interface TeamsSink extends Sink {
  /** Mints the JWT Teams sends with an activity, for this app and the sink's serviceUrl. */
  channelToken(): Promise<string>
}

/**
 * Teams on one port: the channel's OpenID metadata and signing keys (real RSA keys with
 * endorsements, from test/fakes), AAD's client_credentials endpoint (one real token, issued once),
 * and the connector's `v3/conversations/{id}/activities[/{replyToId}]`.
 */
export async function startTeamsSink(identity: TeamsIdentity, handler: ReplyHandler): Promise<TeamsSink> {
  const [keys, aad] = await Promise.all([ChannelKeys.create(), AadTokens.create()])
  const ttl = 24 * 3600
  const access = await aad.issue(identity.appId, CONNECTOR_AUDIENCE, identity.tenantId, ttl, Date.now())
  const bearer = `Bearer ${access.token}`
  let activityId = 0
  const { server, base } = await listen(async (req, res) => {
    const body = await readBody(req)
    const path = (req.url ?? '/').split('?')[0]!
    if (req.method === 'GET' && path === '/v1/.well-known/openidconfiguration') {
      return send(res, 200, JSON.stringify({ issuer: CHANNEL_ISSUER, jwks_uri: `${base}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'] }))
    }
    if (req.method === 'GET' && path === '/v1/.well-known/keys') return send(res, 200, JSON.stringify(keys.jwks()))
    if (req.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
      const form = new URLSearchParams(body)
      if (form.get('client_id') !== identity.appId || form.get('client_secret') !== identity.appPassword) return send(res, 401, '{"error":"invalid_client"}')
      return send(res, 200, JSON.stringify({ token_type: 'Bearer', expires_in: ttl, ext_expires_in: ttl, access_token: access.token }))
    }
    const [v3, conversations, conversation, activities] = path.split('/').slice(1)
    if (req.method === 'POST' && v3 === 'v3' && conversations === 'conversations' && conversation && activities === 'activities') {
      if (req.headers.authorization !== bearer) return send(res, 401, '{"message":"Authorization has been denied for this request."}')
      const activity = JSON.parse(body) as { type?: string; text?: string }
      if (activity.type === 'typing') handler.typing()
      else handler.reply(decodeURIComponent(conversation), String(activity.text))
      return send(res, 200, `{"id":"${++activityId}"}`)
    }
    return send(res, 404, '{"error":{"code":"NotFound","message":"no such route"}}')
  })
  const serviceUrl = `${base}/`
  return {
    urls: { base, serviceUrl, openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`, tokenUrl: `${base}/botframework.com/oauth2/v2.0/token`, loginUrl: `${base}/botframework.com` },
    channelToken: () => keys.sign({}, { appId: identity.appId, serviceUrl }),
    close: closer(server),
  }
}
