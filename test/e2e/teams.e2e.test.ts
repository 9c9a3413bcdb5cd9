import { request } from 'node:http'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { stringify } from 'yaml'
import { Tokens } from '../../core/index.js'
import { metricValue, waitUntil } from '../contract/wait.js'
import { startFakeBotFramework, type ChannelTokenOptions, type FakeBotFramework, type TeamsActivity } from '../fakes/bot-framework.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { tempConfig } from '../kit/tenants.js'

/**
 * Microsoft Teams end to end: the gateway on an ephemeral port, its Teams channel talking to a
 * local Bot Framework (signed deliveries in; token endpoint, connector with Teams' throttling
 * and size limit out). The bot is a rules bot: "plans" offers a choice, "quotes" is a reply too
 * large for Teams, anything else is echoed.
 */
let fake: FakeBotFramework
let gw: TestGateway
let config: Awaited<ReturnType<typeof tempConfig>>
let endpoint: string

const CARD = 'application/vnd.microsoft.card.adaptive'

beforeAll(async () => {
  // Smaller than the channel's maxMessageBytes, so a reply the channel thinks fits is refused with 413.
  fake = await startFakeBotFramework({ maxMessageBytes: 30_000 })
  const tenant = stringify({
    id: 'acme',
    channels: [
      {
        id: 'teams',
        type: 'teams',
        config: {
          appId: fake.appId,
          appPassword: fake.appPassword,
          openIdMetadataUrl: fake.openIdMetadataUrl,
          tokenUrl: fake.tokenUrl,
          serviceUrls: [fake.serviceUrl],
          retry: { attempts: 4, minDelayMs: 100, maxDelayMs: 400 },
        },
      },
    ],
    plugins: [
      {
        id: 'rules',
        type: 'rules',
        config: {
          rules: [
            { id: 'plans', pattern: '^plans$', reply: { text: 'Which plan?', options: [{ title: 'Basic', value: 'plan:basic' }, { title: 'Pro', value: 'plan:pro' }] } },
            { id: 'quotes', pattern: '^quotes$', reply: '"'.repeat(8000) },
            { id: 'echo', pattern: '^([\\s\\S]*)$', reply: 'echo: $1' },
          ],
        },
      },
    ],
  })
  config = await tempConfig({ acme: tenant })
  // Every turn shows typing at once, so the 3 s spacing is exercised by ordinary traffic.
  await writeFile(join(config.dir, 'gateway.yaml'), stringify({ turns: { typingDelayMs: 0 } }))
  gw = await startTestGateway({ configDir: config.dir })
  endpoint = `${gw.url}/t/acme/teams/messages`
  // botbuilder prints every refused token on stderr; the statuses are what these tests check.
  vi.spyOn(console, 'error').mockImplementation(() => {})
}, 60_000)

afterAll(async () => {
  vi.restoreAllMocks()
  await gw?.close()
  await fake?.close()
  await config?.remove()
})

// ---- helpers: a person in Teams, and what they see -------------------------------------------

const say = (text: string, options: Parameters<FakeBotFramework['activities']['message']>[0] = {}) => fake.activities.message({ text, ...options })
const deliver = (activity: TeamsActivity | Record<string, unknown>, token?: string | null) => fake.deliver(activity, { url: endpoint, token })
const personal = (name: string) => fake.activities.personalConversationWith(fake.activities.userNamed(name))
const from = (name: string) => ({ from: fake.activities.userNamed(name) })
const textsIn = (conversationId: string) => fake.textsIn(conversationId)
const waitForTexts = (conversationId: string, count: number) =>
  fake.waitFor(() => textsIn(conversationId).length >= count && textsIn(conversationId), 20_000)
const sendsTo = (conversationId: string) => fake.requests.filter((r) => r.kind === 'send' && r.conversationId === conversationId && r.body?.type === 'message')
const connectorCalls = () => fake.requests.filter((r) => ['send', 'reply', 'update', 'delete', 'create'].includes(r.kind)).length
const metrics = async () => (await fetch(`${gw.url}/metrics`)).text()

async function outboxOf(teamsConversationId: string) {
  const db = gw.gateway.container.resolve(Tokens.Database).tenant('acme')
  return db.query<{ status: string; last_error: string | null }>(
    `SELECT o.status, o.last_error FROM outbox o JOIN conversations c ON c.id = o.conversation_id WHERE c.external_id = $1 ORDER BY o.seq`,
    [teamsConversationId],
  )
}

/** A raw POST to the messaging endpoint, for bodies and headers Teams would never send. */
function post(body: string | Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    // The gateway may answer 413 and close before an oversize body is fully written.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)))
    req.end(body)
  })
}

// ---- conversations ----------------------------------------------------------------------------

describe('talking to the bot in Teams', () => {
  it('answers a personal message, replying with the bot token from the token endpoint', async () => {
    const chat = personal('Megan Bowen')
    const delivery = await deliver(say('where is my order #A-1009?'))
    expect(delivery.status).toBe(200)
    expect(await waitForTexts(chat, 1)).toEqual(['echo: where is my order #A-1009?'])

    const tokenRequest = fake.requests.find((r) => r.kind === 'token')
    expect(tokenRequest?.body).toMatchObject({ grant_type: 'client_credentials', client_id: fake.appId, scope: 'https://api.botframework.com/.default' })
    const [reply] = sendsTo(chat)
    expect(reply?.status).toBe(201)
    expect(reply?.authorization).toMatch(/^Bearer eyJ/)
  })

  it('answers a channel message that @mentions it, in the same thread, without the mention', async () => {
    const thread = fake.activities.newChannelThread()
    expect(thread).toMatch(/^19:.*@thread\.skype;messageid=\d+$/)
    await deliver(say('is the Berlin store open on Sunday?', { conversationId: thread, ...from('Adele Vance') }))
    expect(await waitForTexts(thread, 1)).toEqual(['echo: is the Berlin store open on Sunday?'])
    // The id's ':', ';' and '@' are percent-encoded in the connector path.
    expect(sendsTo(thread)[0]?.path).toContain(encodeURIComponent(thread))
  })

  it('offers a choice as an Adaptive Card whose buttons come back as the option value', async () => {
    const chat = personal('Lynne Robbins')
    await deliver(say('plans', from('Lynne Robbins')))
    const card = await fake.waitFor(() => fake.messagesIn(chat).find((m) => m.attachments), 20_000)
    const attachment = (card.attachments as { contentType: string; content: { version: string; actions: { type: string; title: string; data: unknown }[] } }[])[0]!
    expect(attachment.contentType).toBe(CARD)
    expect(attachment.content.version).toBe('1.5')
    expect(attachment.content.actions.map((a) => [a.type, a.title])).toEqual([
      ['Action.Submit', 'Basic'],
      ['Action.Submit', 'Pro'],
    ])

    // Pressing "Pro": Teams posts a message whose value is the button's data, with no text.
    await deliver(fake.activities.message({ ...from('Lynne Robbins'), value: attachment.content.actions[1]!.data, replyToId: card.id! }))
    // The card itself has no text; the answer to the press does.
    expect(await waitForTexts(chat, 1)).toEqual(['echo: plan:pro'])

    // The same press as a universal action (Action.Execute → invoke): answered in the HTTP response, then replied to.
    const invoke = fake.activities.invoke({ ...from('Lynne Robbins'), name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', data: { postback: 'plan:basic' } } } })
    const answered = await deliver(invoke)
    expect(answered).toMatchObject({ status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message' } })
    await fake.waitFor(() => textsIn(chat).includes('echo: plan:basic'), 20_000)
  })

  it('shows typing while turns run, never twice within 3 s in one chat', async () => {
    const chat = personal('Isaiah Langer')
    const typingIn = () => fake.typing.filter((t) => t.conversationId === chat)
    // A customer who writes every half second or so; every turn asks for typing.
    for (let i = 1; typingIn().length < 2; i++) {
      expect(i, 'typing should repeat once 3 s have passed').toBeLessThan(40)
      await deliver(say(`question ${i}`, from('Isaiah Langer')))
      await waitForTexts(chat, i)
      await new Promise((resolve) => setTimeout(resolve, 400))
    }
    expect(textsIn(chat).length).toBeGreaterThan(2)
    const times = typingIn().map((t) => t.at)
    // Spacing is decided when a send starts; arrival at the fake may shift it by a few ms.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(3000 - 50)
  }, 30_000)

  it('sends a reply after a restart from the stored conversation reference alone', async () => {
    const chat = personal('Nestor Wilke')
    // Teams throttles the reply for 2 s; the gateway restarts while it waits.
    fake.fault({ status: 429, retryAfter: 2, on: 'send', conversationId: chat, activityType: 'message' })
    await deliver(say('please call me back', from('Nestor Wilke')))
    await fake.waitFor(() => sendsTo(chat).some((r) => r.status === 429), 20_000)
    const tokensBefore = fake.counts.tokensIssued
    await gw.restart()
    expect(await waitForTexts(chat, 1)).toEqual(['echo: please call me back'])
    // A fresh process: new bot token, no memory of the inbound request.
    expect(fake.counts.tokensIssued).toBeGreaterThan(tokensBefore)
    expect(sendsTo(chat).filter((r) => r.status === 201)).toHaveLength(1)
  }, 30_000)
})

describe('sending within Teams’ limits', () => {
  it('paces a burst to one chat so Teams never has to answer 429', async () => {
    const chat = personal('Grady Archie')
    const throttledBefore = metricValue(await metrics(), 'switchboard_channel_throttled_total', { source: 'governor' })
    const burst = Array.from({ length: 20 }, (_, i) => say(`burst ${i + 1}`, from('Grady Archie')))
    await Promise.all(burst.map((activity) => deliver(activity)))
    const texts = await waitForTexts(chat, 20)
    expect(new Set(texts)).toEqual(new Set(burst.map((a) => `echo: ${a.text}`)))
    expect(fake.requests.filter((r) => r.conversationId === chat && r.status === 429)).toEqual([])
    expect(metricValue(await metrics(), 'switchboard_channel_throttled_total', { source: 'governor' })).toBeGreaterThan(throttledBefore)
  }, 30_000)

  it('waits out a 429 for its Retry-After, then sends once', async () => {
    const chat = personal('Pradeep Gupta')
    fake.fault({ status: 429, retryAfter: 1, on: 'send', conversationId: chat, activityType: 'message' })
    await deliver(say('first', from('Pradeep Gupta')))
    expect(await waitForTexts(chat, 1)).toEqual(['echo: first'])
    const [refused, retried] = sendsTo(chat)
    expect(refused?.status).toBe(429)
    expect(retried!.at - refused!.at).toBeGreaterThanOrEqual(1000 - 50)
    expect(metricValue(await metrics(), 'switchboard_channel_throttled_total', { source: 'platform' })).toBeGreaterThanOrEqual(1)
  })

  it.each([412, 502, 504] as const)('retries a %i with backoff and delivers once', async (status) => {
    const chat = personal(`Retry ${status}`)
    fake.fault({ status, on: 'send', conversationId: chat, activityType: 'message', times: 2 })
    await deliver(say(`after a ${status}`, from(`Retry ${status}`)))
    expect(await waitForTexts(chat, 1)).toEqual([`echo: after a ${status}`])
    expect(sendsTo(chat).map((r) => r.status)).toEqual([status, status, 201])
  })

  it('never re-posts a reply Teams may have taken (accepted, then 500): unknown, shown once', async () => {
    const chat = personal('Johanna Lorenz')
    fake.fault({ kind: 'accepted_then_500', on: 'send', conversationId: chat, activityType: 'message' })
    await deliver(say('are you there?', from('Johanna Lorenz')))
    await waitForTexts(chat, 1)
    // A later reply in the same chat goes out after it; by then any re-post would have happened.
    await deliver(say('hello again', from('Johanna Lorenz')))
    expect(await waitForTexts(chat, 2)).toEqual(['echo: are you there?', 'echo: hello again'])
    expect(sendsTo(chat).filter((r) => r.body.text === 'echo: are you there?')).toHaveLength(1)
    // Marking a reply sent is batched after the send; wait for it rather than for time.
    await waitUntil(async () => (await outboxOf(chat)).at(-1)?.status === 'sent', 'the second reply to be marked sent')
    expect((await outboxOf(chat)).map((o) => o.status)).toEqual(['unknown', 'sent'])
  })

  it('gives up on a reply Teams refuses as too large (413), records why, and carries on', async () => {
    const chat = personal('Alex Wilber')
    await deliver(say('quotes', from('Alex Wilber')))
    await waitUntil(async () => (await outboxOf(chat))[0]?.status === 'failed', 'the oversize reply to be marked failed')
    const [failed] = await outboxOf(chat)
    expect(failed?.last_error).toMatch(/^413 MessageSizeTooBig.*\(operation [0-9a-f]+\)$/)
    expect(sendsTo(chat).map((r) => r.status)).toEqual([413])
    await deliver(say('still there?', from('Alex Wilber')))
    expect(await waitForTexts(chat, 1)).toEqual(['echo: still there?'])
  })

  it('fetches a new bot token when the connector refuses the cached one', async () => {
    const chat = personal('Diego Siciliani')
    await deliver(say('one', from('Diego Siciliani')))
    await waitForTexts(chat, 1)
    const issued = fake.counts.tokensIssued
    fake.expireTokens()
    await deliver(say('two', from('Diego Siciliani')))
    expect(await waitForTexts(chat, 2)).toEqual(['echo: one', 'echo: two'])
    expect(fake.counts.tokensIssued).toBe(issued + 1)
    expect(sendsTo(chat).map((r) => r.status)).toEqual([201, 401, 201])
  })
})

// ---- what the endpoint must survive (channels.md §7.3) --------------------------------------

describe('requests that are not from Teams, or not sane', () => {
  const chat = () => personal('Megan Bowen')
  const refusedBefore = { value: 0 }

  beforeAll(async () => {
    refusedBefore.value = metricValue(await metrics(), 'switchboard_channel_requests_rejected_total', { tenant: 'acme' })
  })

  it.each<[string, ChannelTokenOptions | null, Record<string, unknown>, number]>([
    ['no Authorization header', null, {}, 401],
    ['alg none', { alg: 'none' }, {}, 401],
    ['HS256 signed with the public key', { alg: 'HS256' }, {}, 401],
    ['expired beyond the 5 minutes of skew', { expiresIn: -600 }, {}, 401],
    ['another bot’s audience', { aud: 'f0000000-0000-0000-0000-00000000000f' }, {}, 401],
    ['another issuer', { iss: 'https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0' }, {}, 401],
    ['a serviceurl claim other than the activity’s serviceUrl', { serviceUrl: 'https://smba.trafficmanager.net/evil/' }, {}, 401],
    ['a key not endorsed for Teams', { unendorsed: true }, {}, 403],
    ['a forged signature under a published key id', { key: 'stranger' }, {}, 401],
  ])('%s → %i, and nothing is sent', async (_name, options, overrides, status) => {
    const calls = connectorCalls()
    const activity = { ...say('sneaky', from('Megan Bowen')), ...overrides }
    const result = await deliver(activity, options === null ? null : await fake.channelToken(options))
    expect(result.status).toBe(status)
    expect(connectorCalls()).toBe(calls)
  })

  it('an unknown key id: one key refetch, then 401; a second unknown kid does not refetch', async () => {
    const before = fake.counts.jwksFetches
    expect((await deliver(say('kid 1', from('Megan Bowen')), await fake.channelToken({ kid: 'unknown-kid-1' }))).status).toBe(401)
    expect((await deliver(say('kid 2', from('Megan Bowen')), await fake.channelToken({ kid: 'unknown-kid-2' }))).status).toBe(401)
    expect(fake.counts.jwksFetches - before).toBe(1)
  })

  it('a serviceUrl outside the allowlist (SSRF) → 403 before the token is even looked at', async () => {
    const calls = connectorCalls()
    const metadata = fake.counts.openIdFetches + fake.counts.jwksFetches
    const evil = 'http://169.254.169.254/latest/'
    const result = await deliver(say('steal the token', { ...from('Megan Bowen'), serviceUrl: evil }), await fake.channelToken({ serviceUrl: evil }))
    expect(result.status).toBe(403)
    expect(connectorCalls()).toBe(calls)
    expect(fake.counts.openIdFetches + fake.counts.jwksFetches).toBe(metadata)
  })

  it('counts every refusal', async () => {
    expect(metricValue(await metrics(), 'switchboard_channel_requests_rejected_total', { tenant: 'acme' }) - refusedBefore.value).toBeGreaterThanOrEqual(11)
  })

  it.each<[string, () => string | Buffer, Record<string, string>, number]>([
    ['malformed JSON', () => '{"type":"message",', {}, 400],
    ['JSON nested 10,000 levels deep', () => `${'['.repeat(10_000)}${']'.repeat(10_000)}`, {}, 400],
    ['an array instead of an activity', () => '[1,2,3]', {}, 400],
    ['a body over 1 MB', () => Buffer.alloc(1_048_577, 0x20), {}, 413],
    ['JSON sent as text/plain', () => JSON.stringify(say('plain')), { 'content-type': 'text/plain' }, 415],
    ['a gzip-compressed body', () => Buffer.from([0x1f, 0x8b, 0x08, 0x00]), { 'content-encoding': 'gzip' }, 415],
  ])('%s → %i', async (_name, body, headers, status) => {
    expect(await post(body(), { authorization: `Bearer ${await fake.channelToken()}`, ...headers })).toBe(status)
  })

  it.each([
    ['conversationUpdate', () => fake.activities.conversationUpdate()],
    ['messageReaction', () => fake.activities.messageReaction({ replyToId: '1700000000001' })],
    ['installationUpdate', () => fake.activities.installationUpdate()],
    ['an unknown type', () => fake.activities.unknown()],
    ['an invoke it does not handle', () => fake.activities.invoke({ name: 'task/fetch' })],
  ])('%s → 200, acknowledged and ignored', async (_name, activity) => {
    const calls = connectorCalls()
    expect((await deliver(activity())).status).toBe(200)
    expect(connectorCalls()).toBe(calls)
  })

  it('keeps emoji, ZWJ sequences, RTL marks, CJK and combining marks; a lone surrogate and NUL become U+FFFD', async () => {
    const chat = personal('Unicode Tester')
    const text = '👩‍👩‍👧 \u202eabc 中文 e\u0301 ＡＢＣ \ud800 a\u0000b'
    expect((await deliver(say(text, from('Unicode Tester')))).status).toBe(200)
    expect(await waitForTexts(chat, 1)).toEqual(['echo: 👩‍👩‍👧 \u202eabc 中文 e\u0301 ＡＢＣ \uFFFD a\uFFFDb'])
  })

  it('answers a redelivered message (Teams retries after 15 s) once', async () => {
    const chat = personal('Megan Bowen')
    const before = textsIn(chat).length
    const activity = say('only once please', from('Megan Bowen'))
    const results = await Promise.all([deliver(activity), deliver(activity), deliver(activity)])
    expect(results.map((r) => r.status)).toEqual([200, 200, 200])
    await deliver(say('and then this', from('Megan Bowen')))
    const texts = await waitForTexts(chat, before + 2)
    expect(texts.slice(before)).toEqual(['echo: only once please', 'echo: and then this'])
  })

  it('after all of that, still answers a genuine message', async () => {
    const before = textsIn(chat()).length
    expect((await deliver(say('all good?', from('Megan Bowen')))).status).toBe(200)
    expect((await waitForTexts(chat(), before + 1)).at(-1)).toBe('echo: all good?')
  })
})
