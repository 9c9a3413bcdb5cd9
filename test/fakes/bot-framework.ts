import { randomBytes, randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeConnections, readBody, trackedSleep } from './fake-connections.js'
import {
  AadTokens,
  aadError,
  BOT_FRAMEWORK_TENANT_ID,
  CHANNEL_ISSUER,
  ChannelKeys,
  CONNECTOR_AUDIENCE,
  type ChannelTokenOptions,
} from './bot-framework-auth.js'
import { nextMessageId, TeamsActivities, type ConversationType, type TeamsActivity } from './bot-framework-activities.js'
import { waitForChange } from './wait-for-change.js'

export { CHANNEL_ISSUER, CONNECTOR_AUDIENCE, CONNECTOR_SCOPE, BOT_FRAMEWORK_TENANT_ID, type ChannelTokenOptions } from './bot-framework-auth.js'
export type { ActivityPlace, ChannelAccount, ConversationType, MessageOptions, TeamsActivity, TeamsConversation } from './bot-framework-activities.js'
export { TeamsActivities } from './bot-framework-activities.js'

/** Connector operations, plus the AAD token request, as faults and records name them. */
export type ConnectorOperation = 'send' | 'reply' | 'update' | 'delete' | 'create' | 'token'
export type RequestKind = ConnectorOperation | 'openid' | 'jwks' | 'other'

export interface RecordedRequest {
  kind: RequestKind
  method: string
  /** As received, still URL-encoded. */
  path: string
  /** Decoded from the path. */
  conversationId?: string
  /** Decoded from the path: the activity replied to, updated or deleted. */
  activityId?: string
  /** The path's activity id for replies, else the body's `replyToId`. */
  replyToId?: string
  /** Parsed JSON (connector), the form as an object (token), or the raw text when it did not parse. */
  body: any
  authorization?: string
  /** Undefined while unanswered (a `hang` fault stays that way). */
  status?: number
  /** The fault this request consumed. */
  fault?: FaultKind
  /** The `X-Correlating-OperationId` it was answered with. */
  operationId: string
  at: number
}

/** A message as the user sees it in Teams. */
export interface DeliveredMessage {
  /** Undefined for the halves of a split text+attachment activity: Teams returns no id for those. */
  id?: string
  conversationId: string
  text?: string
  attachments?: unknown[]
  replyToId?: string
  /** The activity the bot sent (the latest one, after an update). */
  activity: Record<string, any>
  at: number
  updatedAt?: number
  deleted?: boolean
  /** Which half of a split activity this is. */
  split?: 'text' | 'attachments'
}

export interface TypingRecord {
  conversationId: string
  at: number
  /** Streaming sends cumulative text in typing activities. */
  text?: string
  channelData?: Record<string, unknown>
}

export interface DeliveryResult {
  /** 'timeout' when the bot did not answer within the deadline (Teams then gives up on that attempt). */
  status: number | 'timeout'
  body: unknown
  activityId: string
  attempt: number
  at: number
}

export interface DeliverOptions {
  /** The bot's messaging endpoint. */
  url: string
  /** A JWT to send as the bearer; null sends no Authorization header. Default a fresh valid channel token. */
  token?: string | null
  /** A raw Authorization header, for wrong schemes and malformed headers; wins over `token`. */
  authorization?: string
  /** Default 15 000 ms, Teams' deadline for messages. */
  timeoutMs?: number
  headers?: Record<string, string>
}

export interface DeliverUntilAckedOptions extends Omit<DeliverOptions, 'token' | 'authorization'> {
  /** Total tries, the first included. Default 3. */
  attempts?: number
}

export interface ThrottleBucket {
  limit: number
  windowSeconds: number
}

export interface ThrottlingOptions {
  /** Per bot per thread (conversation id). Default Teams' 7/1 s, 8/2 s, 60/30 s, 1800/3600 s. */
  perConversation?: ThrottleBucket[]
  /** Per app across all conversations. Default 50/1 s. */
  perApp?: ThrottleBucket[]
}

export type FaultKind = 'status' | 'accepted_then_500' | 'hang' | 'slow'

export type FaultBehaviour =
  /** 429 Throttled with `Retry-After: retryAfter` (seconds, default 1). */
  | { status: 429; retryAfter?: number }
  /** 412 PreconditionFailed, 500/502 ServiceError, 503, 504. */
  | { status: 412 | 500 | 502 | 503 | 504 }
  /** Delivers the message, then answers 500: the trap that makes blind retries double-post. */
  | { kind: 'accepted_then_500' }
  /** Never answers and delivers nothing, until close(). */
  | { kind: 'hang' }
  /** Waits `ms`, then handles the request normally. */
  | { kind: 'slow'; ms: number }

export type ConnectorFault = FaultBehaviour & {
  /** Which operations it hits; default any connector operation (never the token endpoint unless named). */
  on?: ConnectorOperation | ConnectorOperation[]
  /** Only requests for this (decoded) conversation id. */
  conversationId?: string
  /** Only activities of this type (e.g. 'message', so typing indicators pass untouched). */
  activityType?: string
  /** How many requests it hits, in order of arrival. Default 1. */
  times?: number
}

export interface FakeBotFrameworkOptions {
  /** The bot's Microsoft App ID; default a random GUID. */
  appId?: string
  /** The client secret the token endpoint accepts; default random. */
  appPassword?: string
  /** The Teams tenant users live in; default a random GUID. */
  tenantId?: string
  /** The bot's display name, used in mentions. Default 'Switchboard'. */
  botName?: string
  /** Largest accepted activity, as UTF-16 bytes of its JSON (2 × length). Default 40 000. */
  maxMessageBytes?: number
  /** false turns it off. */
  throttling?: false | ThrottlingOptions
  /** Lifetime of access tokens from the token endpoint. Default 3600. */
  tokenTtlSeconds?: number
  /** Only conversations Teams has shown the bot (builders, deliveries, POST v3/conversations) accept sends. Default true. */
  strictConversations?: boolean
  /** Time for throttling windows and token expiry, so tests can move it. Default Date.now. */
  clock?: () => number
}

/** A type alias, not an interface, so it fits botbuilder's index-signature options type. */
export type BotbuilderSettings = {
  MicrosoftAppId: string
  MicrosoftAppPassword: string
  MicrosoftAppType: 'MultiTenant'
  MicrosoftAppTenantId: string
  ToBotFromChannelOpenIdMetadataUrl: string
  ToBotFromChannelTokenIssuer: string
  ToBotFromEmulatorOpenIdMetadataUrl: string
  ToChannelFromBotLoginUrl: string
  ToChannelFromBotOAuthScope: string
  OAuthUrl: string
  CallerId: string
  ValidateAuthority: boolean
}

export interface FakeBotFramework {
  /** `http://127.0.0.1:P/`, trailing slash included, as Teams sends it. */
  readonly serviceUrl: string
  readonly openIdMetadataUrl: string
  /** The AAD-style client_credentials token endpoint (botframework.com tenant). */
  readonly tokenUrl: string
  /** What `ToChannelFromBotLoginUrl` would be; the token endpoint is `${loginUrl}/oauth2/v2.0/token`. */
  readonly loginUrl: string
  readonly appId: string
  readonly appPassword: string
  readonly tenantId: string
  /** Settings for botbuilder's ConfigurationBotFrameworkAuthentication, every parameterized field set. */
  botbuilderSettings(): BotbuilderSettings
  /** Mints the JWT the channel sends with an activity; options make the bad ones. */
  channelToken(options?: ChannelTokenOptions): Promise<string>
  /** Publishes a new key and, unless `activate` is false, signs with it from now on. Returns its kid. */
  rotateKey(options?: { activate?: boolean }): Promise<string>
  readonly currentKid: string
  readonly unendorsedKid: string
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[]
  /** What users see, in the order it was accepted. */
  readonly messages: DeliveredMessage[]
  readonly typing: TypingRecord[]
  /** Deliveries to the bot and their outcome. */
  readonly deliveries: DeliveryResult[]
  readonly counts: { readonly jwksFetches: number; readonly openIdFetches: number; readonly tokensIssued: number }
  /** Texts visible in a conversation (deleted ones left out, edits applied). */
  textsIn(conversationId: string): string[]
  messagesIn(conversationId: string): DeliveredMessage[]
  /** Resolves with the predicate's first truthy result, re-checked whenever something is recorded. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>
  fault(fault: ConnectorFault): void
  /** Makes every access token issued so far expired. */
  expireTokens(): void
  /** Lets the connector accept a conversation id no builder or delivery introduced. */
  knowConversation(conversationId: string, type?: ConversationType): void
  deliver(activity: TeamsActivity | Record<string, unknown>, options: DeliverOptions): Promise<DeliveryResult>
  /** Re-delivers the same activity (same id) on timeout or 5xx, like Teams. Returns the last attempt with all of them. */
  deliverUntilAcked(activity: TeamsActivity | Record<string, unknown>, options: DeliverUntilAckedOptions): Promise<DeliveryResult & { attempts: DeliveryResult[] }>
  readonly activities: TeamsActivities
  /** Clears records, faults and throttle windows; keys, issued tokens and known conversations stay. */
  reset(): void
  /** Cuts the connections of requests a `hang` fault holds, answering nothing; returns how many. */
  releaseHeld(): number
  /** Connections clients hold open to the fake's server right now (keep-alive ones included). */
  openConnections(): number
  /** Stops the server, cutting hung and in-flight requests and deliveries. */
  close(): Promise<void>
}

const DEFAULT_THROTTLING: Required<ThrottlingOptions> = {
  perConversation: [
    { limit: 7, windowSeconds: 1 },
    { limit: 8, windowSeconds: 2 },
    { limit: 60, windowSeconds: 30 },
    { limit: 1800, windowSeconds: 3600 },
  ],
  perApp: [{ limit: 50, windowSeconds: 1 }],
}

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive'
const CONNECTOR_OPERATIONS: ConnectorOperation[] = ['send', 'reply', 'update', 'delete', 'create']
/** Resources the fake AAD will issue tokens for; only the first is any use at the connector. */
const KNOWN_RESOURCES = [CONNECTOR_AUDIENCE, 'https://graph.microsoft.com']

type ErrorBody = { error: { code: string; message: string } }
const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } })

/** Sliding-window counters per key; a rejected request does not count against the caller. */
class Throttle {
  private readonly log = new Map<string, number[]>()
  constructor(private readonly longestMs: number) {}

  /** Seconds until `key` may send again, or undefined if it may now. */
  retryAfter(key: string, buckets: ThrottleBucket[], now: number): number | undefined {
    const times = this.prune(key, now)
    let waitMs = 0
    for (const { limit, windowSeconds } of buckets) {
      const windowMs = windowSeconds * 1000
      const inWindow = times.filter((t) => t > now - windowMs)
      if (inWindow.length >= limit) waitMs = Math.max(waitMs, inWindow[inWindow.length - limit]! + windowMs - now)
    }
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : undefined
  }

  count(key: string, now: number): void {
    this.prune(key, now).push(now)
  }

  clear(): void {
    this.log.clear()
  }

  private prune(key: string, now: number): number[] {
    const kept = (this.log.get(key) ?? []).filter((t) => t > now - this.longestMs)
    this.log.set(key, kept)
    return kept
  }
}

/**
 * Microsoft Teams as a bot sees it, on one local port: the channel's OpenID metadata and signing
 * keys (inbound JWTs), Azure AD's client_credentials endpoint (outbound tokens), and the Bot
 * Connector REST API at `serviceUrl`, with Teams' error envelopes, size limit, throttling,
 * message splitting and injectable faults. It also plays Teams calling the bot: signed delivery
 * with the 15 s deadline and same-id re-delivery.
 */
export async function startFakeBotFramework(options: FakeBotFrameworkOptions = {}): Promise<FakeBotFramework> {
  const appId = options.appId ?? randomUUID()
  const appPassword = options.appPassword ?? `${randomBytes(3).toString('hex')}~${randomBytes(24).toString('base64url')}`
  const tenantId = options.tenantId ?? randomUUID()
  const maxMessageBytes = options.maxMessageBytes ?? 40_000
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 3600
  const strictConversations = options.strictConversations ?? true
  // Read through, not captured, so tests that fake Date move the fake's clock too.
  const clock = options.clock ?? (() => Date.now())
  const throttling =
    options.throttling === false
      ? undefined
      : { perConversation: options.throttling?.perConversation ?? DEFAULT_THROTTLING.perConversation, perApp: options.throttling?.perApp ?? DEFAULT_THROTTLING.perApp }
  const longestWindowMs = throttling ? Math.max(...[...throttling.perConversation, ...throttling.perApp].map((b) => b.windowSeconds * 1000), 1) : 1
  const throttle = new Throttle(longestWindowMs)

  const [keys, aad] = await Promise.all([ChannelKeys.create(), AadTokens.create()])
  const requests: RecordedRequest[] = []
  const messages: DeliveredMessage[] = []
  const typing: TypingRecord[] = []
  const deliveries: DeliveryResult[] = []
  const faults: ConnectorFault[] = []
  const counts = { jwksFetches: 0, openIdFetches: 0, tokensIssued: 0 }
  const conversations = new Map<string, { type: ConversationType; tenantId: string }>()
  const changes = new EventEmitter()
  changes.setMaxListeners(0)
  const timers = new Set<NodeJS.Timeout>()
  const inFlight = new Set<AbortController>()
  let closed = false
  const changed = () => changes.emit('change')

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) json(res, 500, errorBody('ServiceError', `fake Bot Framework failed: ${String(error)}`))
      else res.destroy()
    })
  })
  const connections = new FakeConnections(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const serviceUrl = `${base}/`
  const openIdMetadataUrl = `${base}/v1/.well-known/openidconfiguration`
  const loginUrl = `${base}/botframework.com`
  const tokenUrl = `${loginUrl}/oauth2/v2.0/token`

  const know = (conversationId: string, type: ConversationType, tenant: string) => {
    if (!conversations.has(conversationId)) conversations.set(conversationId, { type, tenantId: tenant })
    // A bot may start a new thread in a channel it was addressed from.
    const channel = conversationId.split(';messageid=')[0]!
    if (channel !== conversationId && !conversations.has(channel)) conversations.set(channel, { type, tenantId: tenant })
  }
  const activities = new TeamsActivities({
    serviceUrl,
    appId,
    botName: options.botName ?? 'Switchboard',
    tenantId,
    know,
    typeOf: (id) => conversations.get(id)?.type,
  })

  const sleep = (ms: number) => trackedSleep(ms, timers)

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return
    const text = body === undefined ? '' : JSON.stringify(body)
    res.writeHead(status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), 'cache-control': 'no-cache', ...headers })
    res.end(text)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req)
    const url = new URL(req.url ?? '/', base)
    const method = req.method ?? 'GET'
    const segments = url.pathname.split('/').filter(Boolean)
    const recorded: RecordedRequest = {
      kind: 'other',
      method,
      path: url.pathname,
      body: raw,
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
      operationId: randomBytes(16).toString('hex'),
      at: clock(),
    }
    requests.push(recorded)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      recorded.status = status
      json(res, status, body, headers)
      changed()
    }

    if (method === 'GET' && url.pathname === '/v1/.well-known/openidconfiguration') {
      recorded.kind = 'openid'
      counts.openIdFetches++
      return reply(200, {
        issuer: CHANNEL_ISSUER,
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${base}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      })
    }
    if (method === 'GET' && url.pathname === '/v1/.well-known/keys') {
      recorded.kind = 'jwks'
      counts.jwksFetches++
      return reply(200, keys.jwks())
    }
    if (segments.length === 4 && segments[1] === 'oauth2' && segments[2] === 'v2.0' && segments[3] === 'token') {
      recorded.kind = 'token'
      return token(req, decodeURIComponent(segments[0]!), raw, recorded, reply)
    }
    if (segments[0] === 'v3' && segments[1] === 'conversations') return connector(req, res, segments.slice(2).map(decodeURIComponent), raw, recorded, reply)
    return reply(404, errorBody('NotFound', `No route for ${method} ${url.pathname}`))
  }

  async function token(
    req: IncomingMessage,
    tenant: string,
    raw: string,
    recorded: RecordedRequest,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): Promise<void> {
    const now = clock()
    const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(raw) : new URLSearchParams()
    const params = Object.fromEntries(form)
    // Never keep the secret in records.
    recorded.body = { ...params, ...(params.client_secret !== undefined ? { client_secret: '<redacted>' } : {}) }
    const fail = (status: number, error: string, code: number, message: string) => reply(status, aadError(error, code, message, now), { 'cache-control': 'no-store, no-cache' })
    if (req.method !== 'POST') return fail(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.')
    if (tenant !== 'botframework.com' && tenant !== BOT_FRAMEWORK_TENANT_ID && tenant !== tenantId)
      return fail(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`)
    const missing = (name: string) => fail(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`)
    if (!params.grant_type) return missing('grant_type')
    if (params.grant_type !== 'client_credentials') return fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${params.grant_type}'.`)
    if (!params.client_id) return missing('client_id')
    if (params.client_id !== appId)
      return fail(400, 'unauthorized_client', 700016, `Application with identifier '${params.client_id}' was not found in the directory 'Bot Framework'.`)
    if (!params.client_secret) return fail(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
    if (params.client_secret !== appPassword)
      return fail(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`)
    if (!params.scope) return missing('scope')
    if (!params.scope.endsWith('/.default'))
      return fail(400, 'invalid_scope', 1002012, `The provided value for scope ${params.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`)
    const resource = params.scope.slice(0, -'/.default'.length)
    if (!KNOWN_RESOURCES.includes(resource))
      return fail(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named Bot Framework.`)

    const fault = takeFault('token', undefined)
    if (fault) {
      recorded.fault = faultKind(fault)
      // Announced now, so waitFor can see a request that will be answered late or never.
      changed()
    }
    if (fault && 'kind' in fault && fault.kind === 'hang') return
    if (fault && 'kind' in fault && fault.kind === 'slow') await sleep(fault.ms)
    if (fault && 'status' in fault) return reply(fault.status, aadError('temporarily_unavailable', 50_000 + fault.status, 'The service is temporarily unavailable.', now), fault.status === 429 ? { 'retry-after': String(fault.retryAfter ?? 1) } : {})
    const tenantOfToken = tenant === 'botframework.com' ? BOT_FRAMEWORK_TENANT_ID : tenant
    const issued = await aad.issue(appId, resource, tenantOfToken, tokenTtlSeconds, clock())
    counts.tokensIssued++
    if (fault && 'kind' in fault && fault.kind === 'accepted_then_500') return reply(500, aadError('server_error', 50000, 'There was an error issuing a token.', now))
    reply(200, { token_type: 'Bearer', expires_in: tokenTtlSeconds, ext_expires_in: tokenTtlSeconds, access_token: issued.token }, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' })
  }

  async function connector(
    req: IncomingMessage,
    res: ServerResponse,
    path: string[],
    raw: string,
    recorded: RecordedRequest,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): Promise<void> {
    const method = req.method ?? 'GET'
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => reply(status, body, { 'x-correlating-operationid': recorded.operationId, ...headers })
    const [conversationId, activitiesSegment, activityId, ...rest] = path
    let operation: ConnectorOperation | undefined
    if (path.length === 0 && method === 'POST') operation = 'create'
    else if (conversationId && activitiesSegment === 'activities' && rest.length === 0) {
      if (activityId === undefined && method === 'POST') operation = 'send'
      else if (activityId !== undefined && method === 'POST') operation = 'reply'
      else if (activityId !== undefined && method === 'PUT') operation = 'update'
      else if (activityId !== undefined && method === 'DELETE') operation = 'delete'
    }
    if (conversationId !== undefined) recorded.conversationId = conversationId
    if (activityId !== undefined) recorded.activityId = activityId
    let body: any
    try {
      body = raw === '' ? undefined : JSON.parse(raw)
    } catch {
      body = raw
    }
    recorded.body = body
    if (operation === 'reply') recorded.replyToId = activityId
    else if (typeof body?.replyToId === 'string') recorded.replyToId = body.replyToId
    if (!operation) return answer(405, errorBody('MethodNotAllowed', `The fake connector does not support ${method} ${recorded.path}.`))
    recorded.kind = operation

    const auth = req.headers.authorization
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined
    const issued = bearer ? aad.issued.get(bearer) : undefined
    if (!issued || issued.audience !== CONNECTOR_AUDIENCE || issued.expiresAt <= clock())
      return answer(401, errorBody('Unauthorized', issued && issued.expiresAt <= clock() ? 'Authorization has been denied for this request: the token has expired.' : 'Authorization has been denied for this request.'))

    if (operation !== 'create' && strictConversations && !conversations.has(conversationId!))
      return answer(404, errorBody('ConversationNotFound', 'Conversation not found.'))
    if (raw.length * 2 > maxMessageBytes) return answer(413, errorBody('MessageSizeTooBig', 'Message size too large.'))
    if (operation !== 'delete') {
      const problem = operation === 'create' ? validateCreate(body) : validateActivity(body)
      if (problem) return answer(400, errorBody('BadArgument', problem))
    }

    const fault = takeFault(operation, conversationId, body?.type ?? body?.activity?.type)
    if (fault) {
      recorded.fault = faultKind(fault)
      changed()
    }
    if (fault && 'kind' in fault && fault.kind === 'hang') {
      connections.hold(res)
      return
    }
    if (fault && 'kind' in fault && fault.kind === 'slow') {
      await sleep(fault.ms)
      if (closed) return
    }
    if (fault && 'status' in fault) return answer(fault.status, faultBody(fault.status), fault.status === 429 ? { 'retry-after': String(fault.retryAfter ?? 1) } : {})

    const now = clock()
    const thread = operation === 'create' ? createdConversationId(body) : conversationId!
    if (throttling) {
      const wait = Math.max(throttle.retryAfter(`thread:${thread}`, throttling.perConversation, now) ?? 0, throttle.retryAfter('app', throttling.perApp, now) ?? 0)
      if (wait > 0) return answer(429, errorBody('Throttled', 'Too many requests.'), { 'retry-after': String(wait) })
      throttle.count(`thread:${thread}`, now)
      throttle.count('app', now)
    }

    let status: number
    let result: unknown
    if (operation === 'create') {
      ;[status, result] = create(body, thread, now)
    } else if (operation === 'update' || operation === 'delete') {
      const target = messages.find((m) => m.conversationId === conversationId && m.id === activityId && !m.deleted)
      if (!target) return answer(404, errorBody('ActivityNotFoundInConversation', 'Conversation not found.'))
      if (operation === 'update') {
        target.text = typeof body.text === 'string' ? body.text : undefined
        target.attachments = Array.isArray(body.attachments) && body.attachments.length > 0 ? body.attachments : undefined
        target.activity = body
        target.updatedAt = now
        ;[status, result] = [200, { id: activityId }]
      } else {
        target.deleted = true
        ;[status, result] = [200, undefined]
      }
    } else {
      ;[status, result] = post(conversationId!, body, operation === 'reply' ? activityId : body.replyToId, now)
    }
    if (fault && 'kind' in fault && fault.kind === 'accepted_then_500') return answer(500, faultBody(500))
    answer(status, result)
  }

  function createdConversationId(body: any): string {
    const channel: unknown = body?.channelData?.channel?.id
    if (typeof channel === 'string') return `${channel};messageid=${nextMessageId()}`
    const members: any[] = body.members
    if (members.length === 1 && !body.isGroup) return activities.personalConversationWith({ id: members[0].id })
    return `19:${randomBytes(16).toString('hex')}@thread.v2`
  }

  function create(body: any, conversationId: string, now: number): [number, unknown] {
    const type: ConversationType = typeof body?.channelData?.channel?.id === 'string' ? 'channel' : body.members?.length === 1 && !body.isGroup ? 'personal' : 'groupChat'
    know(conversationId, type, body.tenantId ?? body.channelData?.tenant?.id)
    if (!body.activity) return [201, { id: conversationId }]
    const [, posted] = post(conversationId, body.activity, undefined, now)
    return [201, { id: conversationId, activityId: (posted as { id?: string }).id }]
  }

  function post(conversationId: string, activity: any, replyToId: string | undefined, now: number): [number, unknown] {
    if (activity.type === 'typing') {
      typing.push({
        conversationId,
        at: now,
        ...(typeof activity.text === 'string' ? { text: activity.text } : {}),
        ...(activity.channelData ? { channelData: activity.channelData } : {}),
      })
      return [201, { id: nextMessageId() }]
    }
    if (activity.type !== 'message') return [201, { id: nextMessageId() }]
    const text = typeof activity.text === 'string' && activity.text !== '' ? activity.text : undefined
    const attachments = Array.isArray(activity.attachments) && activity.attachments.length > 0 ? activity.attachments : undefined
    const common = { conversationId, activity, at: now, ...(replyToId ? { replyToId } : {}) }
    if (text && attachments) {
      // Teams shows these as two messages and cannot say which id is which, so it returns none.
      messages.push({ ...common, text, split: 'text' }, { ...common, attachments, split: 'attachments' })
      return [201, {}]
    }
    const id = nextMessageId()
    messages.push({ ...common, id, ...(text ? { text } : {}), ...(attachments ? { attachments } : {}) })
    return [201, { id }]
  }

  function takeFault(operation: ConnectorOperation, conversationId: string | undefined, activityType?: unknown): ConnectorFault | undefined {
    const index = faults.findIndex((f) => {
      const on = f.on === undefined ? CONNECTOR_OPERATIONS : Array.isArray(f.on) ? f.on : [f.on]
      return (
        on.includes(operation) &&
        (f.conversationId === undefined || f.conversationId === conversationId) &&
        (f.activityType === undefined || f.activityType === activityType)
      )
    })
    return index < 0 ? undefined : faults.splice(index, 1)[0]
  }

  async function deliver(activity: Record<string, unknown>, deliverOptions: DeliverOptions, attempt = 1): Promise<DeliveryResult> {
    const serviceUrlOfActivity = typeof activity.serviceUrl === 'string' ? activity.serviceUrl : serviceUrl
    const conversation = activity.conversation as { id?: string; conversationType?: ConversationType; tenantId?: string } | undefined
    if (conversation?.id) know(conversation.id, conversation.conversationType ?? 'personal', conversation.tenantId ?? tenantId)
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...deliverOptions.headers }
    // Teams names the conversation and tenant in headers so bots can route before parsing.
    if (conversation?.id) headers['x-ms-conversation-id'] = conversation.id
    headers['x-ms-tenant-id'] = conversation?.tenantId ?? ''
    if (deliverOptions.authorization !== undefined) headers.authorization = deliverOptions.authorization
    else if (deliverOptions.token !== null)
      headers.authorization = `Bearer ${deliverOptions.token ?? (await keys.sign({ serviceUrl: serviceUrlOfActivity }, { appId, serviceUrl }))}`
    const controller = new AbortController()
    inFlight.add(controller)
    const timer = setTimeout(() => controller.abort(), deliverOptions.timeoutMs ?? (activity.type === 'invoke' ? 5000 : 15_000))
    const result: DeliveryResult = { status: 'timeout', body: undefined, activityId: String(activity.id ?? ''), attempt, at: Date.now() }
    try {
      const response = await fetch(deliverOptions.url, { method: 'POST', headers, body: JSON.stringify(activity), signal: controller.signal })
      const text = await response.text()
      result.status = response.status
      try {
        result.body = text === '' ? undefined : JSON.parse(text)
      } catch {
        result.body = text
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error
    } finally {
      clearTimeout(timer)
      inFlight.delete(controller)
    }
    deliveries.push(result)
    changed()
    return result
  }

  return {
    serviceUrl,
    openIdMetadataUrl,
    tokenUrl,
    loginUrl,
    appId,
    appPassword,
    tenantId,
    botbuilderSettings: () => ({
      MicrosoftAppId: appId,
      MicrosoftAppPassword: appPassword,
      MicrosoftAppType: 'MultiTenant',
      MicrosoftAppTenantId: '',
      // Setting any of these switches botbuilder to "parameterized" auth, where unset ones are undefined, not public-cloud defaults.
      ToBotFromChannelOpenIdMetadataUrl: openIdMetadataUrl,
      ToBotFromChannelTokenIssuer: CHANNEL_ISSUER,
      ToBotFromEmulatorOpenIdMetadataUrl: openIdMetadataUrl,
      ToChannelFromBotLoginUrl: loginUrl,
      ToChannelFromBotOAuthScope: CONNECTOR_AUDIENCE,
      OAuthUrl: serviceUrl,
      CallerId: 'urn:botframework:azure',
      ValidateAuthority: true,
    }),
    channelToken: (tokenOptions = {}) => keys.sign(tokenOptions, { appId, serviceUrl }),
    rotateKey: (rotateOptions = {}) => keys.rotate(rotateOptions.activate ?? true),
    get currentKid() {
      return keys.currentKid
    },
    get unendorsedKid() {
      return keys.unendorsedKid
    },
    requests,
    messages,
    typing,
    deliveries,
    counts,
    messagesIn: (conversationId) => messages.filter((m) => m.conversationId === conversationId && !m.deleted),
    textsIn: (conversationId) => messages.filter((m) => m.conversationId === conversationId && !m.deleted && m.text !== undefined).map((m) => m.text!),
    waitFor: (predicate, timeoutMs = 5000) =>
      waitForChange(changes, predicate, {
        timeoutMs,
        describe: () => `fake Bot Framework: condition not met within ${timeoutMs} ms (${requests.length} requests, ${messages.length} messages so far)`,
      }),
    fault(fault) {
      for (let i = 0; i < (fault.times ?? 1); i++) faults.push(fault)
    },
    expireTokens: () => aad.expireAll(clock()),
    knowConversation: (conversationId, type = 'personal') => know(conversationId, type, tenantId),
    deliver: (activity, deliverOptions) => deliver(activity, deliverOptions),
    async deliverUntilAcked(activity, { attempts = 3, ...deliverOptions }) {
      const all: DeliveryResult[] = []
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const result = await deliver(activity, deliverOptions, attempt)
        all.push(result)
        if (closed || (result.status !== 'timeout' && result.status < 500)) break
      }
      return { ...all.at(-1)!, attempts: all }
    },
    activities,
    releaseHeld: () => connections.releaseHeld(),
    openConnections: () => connections.open,
    reset() {
      requests.length = 0
      messages.length = 0
      typing.length = 0
      deliveries.length = 0
      faults.length = 0
      counts.jwksFetches = 0
      counts.openIdFetches = 0
      counts.tokensIssued = 0
      throttle.clear()
    },
    async close() {
      if (closed) return
      closed = true
      for (const controller of inFlight) controller.abort()
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      await connections.close()
    },
  }
}

function faultKind(fault: ConnectorFault): FaultKind {
  return 'kind' in fault ? fault.kind : 'status'
}

function faultBody(status: number): ErrorBody | undefined {
  switch (status) {
    case 429:
      return errorBody('Throttled', 'Too many requests.')
    case 412:
      return errorBody('PreconditionFailed', 'Precondition failed, please try again.')
    case 500:
      return errorBody('ServiceError', 'Unknown')
    case 502:
      return errorBody('ServiceError', 'Bad gateway.')
    default:
      // 503 and 504 come from the front door with no ErrorResponse.
      return undefined
  }
}

/** Teams' checks on an outgoing activity, as far as they are documented; the message is ours. */
function validateActivity(body: any): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The request body must be an Activity object.'
  if (typeof body.type !== 'string' || body.type === '') return "Activity 'type' is required."
  if (body.attachments !== undefined && !Array.isArray(body.attachments)) return "Activity 'attachments' must be an array."
  for (const [i, attachment] of ((body.attachments ?? []) as unknown[]).entries()) {
    if (typeof attachment !== 'object' || attachment === null) return `Attachment ${i} must be an object.`
    const { contentType, content, contentUrl } = attachment as { contentType?: unknown; content?: unknown; contentUrl?: unknown }
    if (typeof contentType !== 'string' || contentType === '') return `Attachment ${i} has no contentType.`
    if (content === undefined && contentUrl === undefined) return `Attachment ${i} has neither content nor contentUrl.`
    if (contentType === ADAPTIVE_CARD) {
      if (typeof content !== 'object' || content === null || Array.isArray(content)) return `Attachment ${i}: adaptive card content must be a JSON object, not ${typeof content}.`
      const card = content as { type?: unknown; version?: unknown; body?: unknown }
      if (card.type !== 'AdaptiveCard') return `Attachment ${i}: adaptive card content.type must be 'AdaptiveCard'.`
      if (typeof card.version !== 'string') return `Attachment ${i}: adaptive card content.version is required.`
      if (card.body !== undefined && !Array.isArray(card.body)) return `Attachment ${i}: adaptive card content.body must be an array.`
    }
  }
  if (body.type === 'message') {
    const hasText = typeof body.text === 'string' && body.text !== ''
    const hasAttachments = Array.isArray(body.attachments) && body.attachments.length > 0
    if (!hasText && !hasAttachments) return 'A message activity needs text or attachments.'
  }
  return undefined
}

function validateCreate(body: any): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The request body must be ConversationParameters.'
  const tenant = body.tenantId ?? body.channelData?.tenant?.id
  if (typeof tenant !== 'string' || tenant === '') return 'Tenant id is required.'
  const toChannel = typeof body.channelData?.channel?.id === 'string'
  if (!toChannel && (!Array.isArray(body.members) || body.members.length === 0 || body.members.some((m: any) => typeof m?.id !== 'string')))
    return "'members' must list at least one member with an id."
  if (toChannel && !body.activity) return 'Creating a channel thread needs an activity.'
  if (body.activity !== undefined) return validateActivity(body.activity)
  return undefined
}

