import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { CONNECTOR_SCOPE, startFakeBotFramework, type FakeBotFramework, type FakeBotFrameworkOptions } from './bot-framework.js'
import { processWithCloudAdapter } from './cloud-adapter-http.js'

type CredentialsFactory = NonNullable<ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[1]>
type Logic = (context: TurnContext) => Promise<void>

const echo: Logic = async (context) => {
  if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`)
}

/**
 * Outbound auth for botbuilder that really runs client_credentials against the fake's token
 * endpoint: botbuilder's own MSAL path refuses an http:// authority.
 */
function fakeAadCredentials(fake: FakeBotFramework): CredentialsFactory {
  let cached: { token: string; expiresAt: number } | undefined
  const token = async (loginEndpoint: string, audience: string) => {
    if (cached && cached.expiresAt > Date.now() + 60_000) return cached.token
    const response = await fetch(`${loginEndpoint}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: fake.appId, client_secret: fake.appPassword, scope: `${audience}/.default` }),
    })
    if (!response.ok) throw new Error(`token endpoint answered ${response.status}`)
    const body = (await response.json()) as { access_token: string; expires_in: number }
    cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 }
    return cached.token
  }
  return {
    isValidAppId: async (appId) => appId === fake.appId,
    isAuthenticationDisabled: async () => false,
    createCredentials: async (_appId, audience, loginEndpoint) => ({
      async signRequest(request) {
        request.headers.set('authorization', `Bearer ${await token(loginEndpoint, audience ?? 'https://api.botframework.com')}`)
        return request
      },
    }),
  }
}

interface Bot {
  url: string
  close(): Promise<void>
}

/** A bot behind plain node:http, the Koa-free shim from deps.md §5. */
async function startBot(fake: FakeBotFramework, logic: Logic = echo): Promise<Bot> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication(fake.botbuilderSettings(), fakeAadCredentials(fake)))
  const server: Server = createServer((req, res) => {
    void processWithCloudAdapter(adapter, req, res, logic)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function connectorToken(fake: FakeBotFramework): Promise<string> {
  const response = await fetch(fake.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: fake.appId, client_secret: fake.appPassword, scope: CONNECTOR_SCOPE }),
  })
  return ((await response.json()) as { access_token: string }).access_token
}

const activitiesUrl = (fake: FakeBotFramework, conversationId: string, activityId?: string) =>
  `${fake.serviceUrl}v3/conversations/${encodeURIComponent(conversationId)}/activities${activityId ? `/${encodeURIComponent(activityId)}` : ''}`

const send = (fake: FakeBotFramework, token: string, conversationId: string, activity: unknown, init: { method?: string; activityId?: string } = {}) =>
  fetch(activitiesUrl(fake, conversationId, init.activityId), {
    method: init.method ?? 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
    body: activity === undefined ? undefined : JSON.stringify(activity),
  })

// botbuilder logs every rejected token with console.error; the statuses are what the tests check.
beforeAll(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {})
  vi.spyOn(console, 'warn').mockImplementation(() => {})
})
afterAll(() => vi.restoreAllMocks())

describe('Teams calling a botbuilder CloudAdapter bot, auth on, fully offline', () => {
  let fake: FakeBotFramework
  let bot: Bot
  beforeAll(async () => {
    fake = await startFakeBotFramework()
    bot = await startBot(fake)
  })
  afterEach(() => fake.reset())
  afterAll(async () => {
    await bot.close()
    await fake.close()
  })

  it('gets a signed message, and the echo reaches the connector with a token the fake issued', async () => {
    const question = fake.activities.message({ text: 'where is my order?' })
    const ack = await fake.deliver(question, { url: bot.url })

    expect(ack.status).toBe(200)
    expect(fake.textsIn(question.conversation.id)).toEqual(['echo: where is my order?'])
    const [reply] = fake.requests.filter((r) => r.kind === 'reply')
    expect(reply).toMatchObject({ status: 201, conversationId: question.conversation.id, replyToId: question.id })
    // The personal conversation id starts with "a:", which botbuilder sends encoded.
    expect(reply!.path).toContain(encodeURIComponent(question.conversation.id))
    const issued = fake.requests.find((r) => r.kind === 'token' && r.status === 200)
    expect(issued?.body).toMatchObject({ grant_type: 'client_credentials', client_id: fake.appId, client_secret: '<redacted>', scope: CONNECTOR_SCOPE })
    expect(reply!.authorization).toMatch(/^Bearer ey/)
    expect(fake.counts.tokensIssued).toBe(1)
  })

  it('replies into a channel thread whose id carries ":", ";" and "@", after an @mention', async () => {
    const thread = fake.activities.newChannelThread()
    const question = fake.activities.message({ conversationId: thread, text: 'reset my password' })
    expect(question.text).toBe('<at>Switchboard</at> reset my password')
    expect(question.entities).toContainEqual({ type: 'mention', mentioned: { id: `28:${fake.appId}`, name: 'Switchboard' }, text: '<at>Switchboard</at>' })
    expect(question.channelData).toMatchObject({ tenant: { id: fake.tenantId }, team: { id: fake.activities.team.id } })

    expect((await fake.deliver(question, { url: bot.url })).status).toBe(200)
    expect(thread).toMatch(/^19:[0-9a-f]+@thread\.skype;messageid=\d+$/)
    expect(fake.textsIn(thread)).toEqual(['echo: <at>Switchboard</at> reset my password'])
  })

  it('turns away every kind of bad token before the bot runs, and says how', async () => {
    const hello = () => fake.activities.message({ text: 'hi' })
    const statusWith = async (token: Promise<string> | string | null, activity = hello()) => (await fake.deliver(activity, { url: bot.url, token: await token })).status
    const outcomes = {
      noHeader: await statusWith(null),
      garbage: await statusWith('not-a-jwt'),
      basicScheme: (await fake.deliver(hello(), { url: bot.url, authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).status,
      wrongAudience: await statusWith(fake.channelToken({ aud: 'someone-elses-bot' })),
      wrongIssuer: await statusWith(fake.channelToken({ iss: 'https://sts.windows.net/attacker/' })),
      expiredBeyondSkew: await statusWith(fake.channelToken({ expiresIn: -6 * 60 })),
      serviceUrlMismatch: await statusWith(fake.channelToken(), fake.activities.message({ text: 'hi', serviceUrl: 'https://attacker.example/' })),
      unknownKid: await statusWith(fake.channelToken({ kid: 'no-such-key' })),
      unendorsedKey: await statusWith(fake.channelToken({ unendorsed: true })),
      // Not AuthenticationErrors inside botbuilder, so CloudAdapter answers 500.
      notYetValid: await statusWith(fake.channelToken({ notBefore: 10 * 60 })),
      algNone: await statusWith(fake.channelToken({ alg: 'none' })),
      hs256WithPublicKey: await statusWith(fake.channelToken({ alg: 'HS256' })),
      forgedSignature: await statusWith(fake.channelToken({ key: 'stranger' })),
    }
    expect(outcomes).toEqual({
      noHeader: 401,
      garbage: 401,
      basicScheme: 401,
      wrongAudience: 401,
      wrongIssuer: 401,
      expiredBeyondSkew: 401,
      serviceUrlMismatch: 401,
      unknownKid: 401,
      unendorsedKey: 401,
      notYetValid: 500,
      algNone: 500,
      hs256WithPublicKey: 500,
      forgedSignature: 500,
    })
    expect(fake.messages).toEqual([])
    expect(fake.requests.filter((r) => r.kind === 'reply' || r.kind === 'token')).toEqual([])
  })

  it('lets a token that expired inside the 5-minute skew through', async () => {
    const late = fake.activities.message({ text: 'still there?' })
    expect((await fake.deliver(late, { url: bot.url, token: await fake.channelToken({ expiresIn: -2 * 60 }) })).status).toBe(200)
  })

  it('acks the other activity types; an invoke nobody answers gets 501', async () => {
    const statuses = [
      await fake.deliver(fake.activities.conversationUpdate(), { url: bot.url }),
      await fake.deliver(fake.activities.installationUpdate(), { url: bot.url }),
      await fake.deliver(fake.activities.messageReaction({ replyToId: '1700000000000' }), { url: bot.url }),
      await fake.deliver(fake.activities.unknown(), { url: bot.url }),
      await fake.deliver(fake.activities.invoke({ name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'refund' } } }), { url: bot.url }),
    ].map((r) => r.status)
    expect(statuses).toEqual([200, 200, 200, 200, 501])
  })

  it('shows the double-post trap: botbuilder retries a 500 the connector had already delivered', async () => {
    fake.fault({ kind: 'accepted_then_500', on: 'reply' })
    const question = fake.activities.message({ text: 'cancel my plan' })
    expect((await fake.deliver(question, { url: bot.url })).status).toBe(200)
    expect(fake.requests.filter((r) => r.kind === 'reply').map((r) => [r.status, r.fault])).toEqual([
      [500, 'accepted_then_500'],
      [201, undefined],
    ])
    expect(fake.textsIn(question.conversation.id)).toEqual(['echo: cancel my plan', 'echo: cancel my plan'])
  })

  it('botbuilder waits out a 429 by its Retry-After and sends once', async () => {
    fake.fault({ status: 429, retryAfter: 0, on: 'reply' })
    const question = fake.activities.message({ text: 'any news?' })
    expect((await fake.deliver(question, { url: bot.url })).status).toBe(200)
    expect(fake.requests.filter((r) => r.kind === 'reply').map((r) => r.status)).toEqual([429, 201])
    expect(fake.textsIn(question.conversation.id)).toEqual(['echo: any news?'])
  })
})

describe('channel key rotation as botbuilder sees it', () => {
  let fake: FakeBotFramework
  let bot: Bot
  beforeAll(async () => {
    fake = await startFakeBotFramework()
    bot = await startBot(fake)
  })
  afterAll(async () => {
    vi.useRealTimers()
    await bot.close()
    await fake.close()
  })

  it('refuses a new kid until its hourly refetch, then accepts it after exactly one JWKS fetch', async () => {
    expect((await fake.deliver(fake.activities.message({ text: 'before' }), { url: bot.url })).status).toBe(200)
    expect(fake.counts.jwksFetches).toBe(1)

    const oldKid = fake.currentKid
    const newKid = await fake.rotateKey()
    expect(newKid).not.toBe(oldKid)
    expect((await fake.deliver(fake.activities.message({ text: 'too soon' }), { url: bot.url })).status).toBe(401)
    expect(fake.counts.jwksFetches).toBe(1)

    // botbuilder refetches keys for an unknown kid at most once an hour; move its clock past that.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61 * 60_000 })
    const after = fake.activities.message({ text: 'after' })
    expect((await fake.deliver(after, { url: bot.url })).status).toBe(200)
    expect(fake.counts.jwksFetches).toBe(2)
    expect(fake.textsIn(after.conversation.id)).toContain('echo: after')
    // Tokens signed with the old key still verify: it stays published.
    expect((await fake.deliver(fake.activities.message({ text: 'old key' }), { url: bot.url, token: await fake.channelToken({ kid: oldKid }) })).status).toBe(200)
  })
})

describe('the connector API, driven with fetch', () => {
  let fake: FakeBotFramework
  let token: string
  beforeAll(async () => {
    fake = await startFakeBotFramework()
    token = await connectorToken(fake)
  })
  afterEach(() => fake.reset())
  afterAll(() => fake.close())

  it('answers a 429 fault with Retry-After, the Throttled envelope and an operation id', async () => {
    const chat = fake.activities.personalConversationWith()
    fake.fault({ status: 429, retryAfter: 7, on: 'send' })
    const throttled = await send(fake, token, chat, { type: 'message', text: 'one' })
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).toBe('7')
    expect(throttled.headers.get('x-correlating-operationid')).toMatch(/^[0-9a-f]{32}$/)
    expect(await throttled.json()).toEqual({ error: { code: 'Throttled', message: 'Too many requests.' } })

    const retried = await send(fake, token, chat, { type: 'message', text: 'one' })
    expect(retried.status).toBe(201)
    expect(await retried.json()).toEqual({ id: expect.stringMatching(/^\d+$/) })
    expect(fake.textsIn(chat)).toEqual(['one'])
  })

  it('records an accepted_then_500 send as delivered while answering 500', async () => {
    const chat = fake.activities.personalConversationWith()
    fake.fault({ kind: 'accepted_then_500', conversationId: chat })
    const response = await send(fake, token, chat, { type: 'message', text: 'your refund is on its way' })
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ error: { code: 'ServiceError', message: 'Unknown' } })
    expect(fake.textsIn(chat)).toEqual(['your refund is on its way'])
  })

  it('refuses a payload over the size limit with 413 MessageSizeTooBig', async () => {
    const chat = fake.activities.personalConversationWith()
    const tooBig = await send(fake, token, chat, { type: 'message', text: 'x'.repeat(20_000) })
    expect(tooBig.status).toBe(413)
    expect(await tooBig.json()).toEqual({ error: { code: 'MessageSizeTooBig', message: 'Message size too large.' } })
    expect((await send(fake, token, chat, { type: 'message', text: 'x'.repeat(19_000) })).status).toBe(201)
  })

  it('wants a live bearer from its own token endpoint', async () => {
    const chat = fake.activities.personalConversationWith()
    const withToken = async (bearer: string) => (await send(fake, bearer, chat, { type: 'message', text: 'hi' })).status
    expect(await withToken('made-up')).toBe(401)
    expect(await withToken(await fake.channelToken())).toBe(401)
    const unauthorized = await send(fake, 'made-up', chat, { type: 'message', text: 'hi' })
    expect(await unauthorized.json()).toMatchObject({ error: { code: 'Unauthorized' } })

    const own = await connectorToken(fake)
    expect(await withToken(own)).toBe(201)
    fake.expireTokens()
    expect(await withToken(own)).toBe(401)
    token = await connectorToken(fake)
  })

  it('answers bad client credentials the way Azure AD does', async () => {
    const ask = (form: Record<string, string>) =>
      fetch(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) })
    const good = { grant_type: 'client_credentials', client_id: fake.appId, client_secret: fake.appPassword, scope: CONNECTOR_SCOPE }

    const wrongSecret = await ask({ ...good, client_secret: 'nope' })
    expect(wrongSecret.status).toBe(401)
    const body = (await wrongSecret.json()) as Record<string, unknown>
    expect(body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] })
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['error_description', 'timestamp', 'trace_id', 'correlation_id']))
    expect(body.error_description).toMatch(/^AADSTS7000215: /)

    expect((await ask({ ...good, client_id: 'not-this-bot' })).status).toBe(400)
    expect(await (await ask({ ...good, scope: 'https://api.botframework.com' })).json()).toMatchObject({ error: 'invalid_scope' })
    expect(await (await ask({ ...good, grant_type: '' })).json()).toMatchObject({ error: 'invalid_request', error_codes: [900144] })

    const ok = await ask(good)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: expect.stringMatching(/^ey/) })
  })

  it('validates activities, splits text+attachment into two messages without an id, and applies edits and deletes', async () => {
    const chat = fake.activities.personalConversationWith()
    const card = { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'Order #1234 shipped' }] }
    const status = async (activity: unknown) => (await send(fake, token, chat, activity)).status
    expect(await status({ text: 'no type' })).toBe(400)
    expect(await status({ type: 'message' })).toBe(400)
    expect(await status({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: JSON.stringify(card) }] })).toBe(400)
    const invalid = await send(fake, token, chat, { type: 'message', text: '' })
    expect(await invalid.json()).toMatchObject({ error: { code: 'BadArgument' } })

    expect(await status({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] })).toBe(201)
    const both = await send(fake, token, chat, { type: 'message', text: 'Here is your order:', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] })
    expect(both.status).toBe(201)
    expect(await both.json()).toEqual({})
    expect(fake.messagesIn(chat).map((m) => [m.split, m.id])).toEqual([
      [undefined, expect.any(String)],
      ['text', undefined],
      ['attachments', undefined],
    ])

    const sent = (await (await send(fake, token, chat, { type: 'message', text: 'Looking into it…' })).json()) as { id: string }
    expect((await send(fake, token, chat, { type: 'message', text: 'Found it: order #1234' }, { method: 'PUT', activityId: sent.id })).status).toBe(200)
    expect(fake.textsIn(chat)).toEqual(['Here is your order:', 'Found it: order #1234'])
    expect((await send(fake, token, chat, undefined, { method: 'DELETE', activityId: sent.id })).status).toBe(200)
    expect(fake.textsIn(chat)).toEqual(['Here is your order:'])
    expect((await send(fake, token, chat, undefined, { method: 'DELETE', activityId: sent.id })).status).toBe(404)
  })

  it('knows only conversations Teams has shown the bot, and decodes ids from the path', async () => {
    const unknown = await send(fake, token, '19:deadbeef@thread.v2', { type: 'message', text: 'hello?' })
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ error: { code: 'ConversationNotFound', message: 'Conversation not found.' } })

    const group = fake.activities.newGroupChat()
    const doubleEncoded = await fetch(`${fake.serviceUrl}v3/conversations/${encodeURIComponent(encodeURIComponent(group))}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'hi' }),
    })
    expect(doubleEncoded.status).toBe(404)
    expect((await send(fake, token, group, { type: 'message', text: 'hi all' })).status).toBe(201)
    expect(fake.textsIn(group)).toEqual(['hi all'])
  })

  it('creates a 1:1 conversation that is the same one the user talks to the bot in', async () => {
    const user = fake.activities.userNamed('Alex Wilber')
    const response = await fetch(`${fake.serviceUrl}v3/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ isGroup: false, bot: fake.activities.bot, members: [{ id: user.id }], tenantId: fake.tenantId, activity: { type: 'message', text: 'Your ticket was resolved.' } }),
    })
    expect(response.status).toBe(201)
    const created = (await response.json()) as { id: string; activityId: string }
    expect(created.id).toBe(fake.activities.personalConversationWith(user))
    expect(fake.textsIn(created.id)).toEqual(['Your ticket was resolved.'])
    expect(fake.activities.message({ from: { name: 'Alex Wilber' }, text: 'thanks' }).conversation.id).toBe(created.id)
  })

  it('keeps typing apart from messages', async () => {
    const chat = fake.activities.personalConversationWith()
    expect((await send(fake, token, chat, { type: 'typing' })).status).toBe(201)
    expect((await send(fake, token, chat, { type: 'typing', text: 'Checking', channelData: { streamType: 'streaming', streamSequence: 1 } })).status).toBe(201)
    expect(fake.typing.map((t) => [t.conversationId, t.text])).toEqual([
      [chat, undefined],
      [chat, 'Checking'],
    ])
    expect(fake.messages).toEqual([])
  })

  it('waits for a message without sleeping', async () => {
    const chat = fake.activities.personalConversationWith()
    const arrived = fake.waitFor(() => fake.messagesIn(chat).find((m) => m.text === 'done'))
    await send(fake, token, chat, { type: 'message', text: 'working' })
    await send(fake, token, chat, { type: 'message', text: 'done' })
    expect((await arrived).text).toBe('done')
  })
})

describe('throttling buckets', () => {
  it('allows 7 sends a second to one thread, then 8 in two seconds, and never blocks another thread', async () => {
    let now = 1_700_000_000_000
    const fake = await startFakeBotFramework({ clock: () => now } satisfies FakeBotFrameworkOptions)
    try {
      const token = await connectorToken(fake)
      const busy = fake.activities.personalConversationWith()
      const quiet = fake.activities.newGroupChat()
      const burst: number[] = []
      for (let i = 1; i <= 8; i++) burst.push((await send(fake, token, busy, { type: 'message', text: `update ${i}` })).status)
      expect(burst).toEqual([201, 201, 201, 201, 201, 201, 201, 429])
      const throttled = fake.requests.at(-1)!
      expect(throttled).toMatchObject({ status: 429, conversationId: busy })
      expect((await send(fake, token, quiet, { type: 'message', text: 'elsewhere' })).status).toBe(201)

      now += 1000
      expect((await send(fake, token, busy, { type: 'message', text: 'update 8' })).status).toBe(201)
      const secondWindow = await send(fake, token, busy, { type: 'message', text: 'update 9' })
      expect(secondWindow.status).toBe(429)
      expect(secondWindow.headers.get('retry-after')).toBe('1')
      expect(fake.textsIn(busy)).toHaveLength(8)
    } finally {
      await fake.close()
    }
  })
})

describe('Teams re-delivering to a slow bot', () => {
  it('sends the same activity again after a timeout, and stops at the first ack', async () => {
    const fake = await startFakeBotFramework()
    const seen: string[] = []
    const server = createServer((req, res) => {
      void readAll(req).then((text) => {
        seen.push((JSON.parse(text) as { id: string }).id)
        // The first delivery is stuck in a slow handler; the retry is answered.
        if (seen.length > 1) res.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`
      const question = fake.activities.message({ text: 'hello?' })
      const result = await fake.deliverUntilAcked(question, { url, timeoutMs: 100 })
      expect(result.status).toBe(200)
      expect(result.attempts.map((a) => a.status)).toEqual(['timeout', 200])
      expect(seen).toEqual([question.id, question.id])
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await fake.close()
    }
  })
})

describe('a connector that never answers', () => {
  it('records the hung send as unanswered and undelivered, and lets go of it on close', async () => {
    const fake = await startFakeBotFramework()
    const token = await connectorToken(fake)
    const chat = fake.activities.personalConversationWith()
    fake.fault({ kind: 'hang', on: ['send', 'reply'] })
    const pending = send(fake, token, chat, { type: 'message', text: 'are you there?' })
    const hung = await fake.waitFor(() => fake.requests.find((r) => r.kind === 'send' && r.fault === 'hang'))
    expect(hung.status).toBeUndefined()
    expect(fake.messages).toEqual([])
    await fake.close()
    await expect(pending).rejects.toThrow()
  })
})
