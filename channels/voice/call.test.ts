import 'reflect-metadata'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, Tokens, type AgentPlugin, type Reply } from '../../core/index.js'
import { startGateway, type RunningGateway } from '../../core/gateway/gateway.js'
import { metricValue, waitUntil } from '../../test/contract/wait.js'
import { freshPostgres, type TestDatabase } from '../../test/databases.js'
import { createFakeTwilio, type FakeCall, type FakeTwilio } from '../../test/fakes/twilio.js'
import { testRegistry } from '../../test/harness/gateway.js'
import { tempConfig } from '../../test/kit/tenants.js'

// A tenant with two phone lines behind a TLS proxy at voice.acme.example: "phone" transfers to a
// number, "desk" has nobody to transfer to and gives up on slow answers sooner. Its bot is the
// rules plugin, behind a scripted plugin that can be slow ("slow 1500") or ask for a human.
const PUBLIC = 'https://voice.acme.example'
const AGENT_NUMBER = '+14155550100'
const GREETING = 'Thanks for calling Acme. How can I help?'
const FILLER = 'One moment please.'
const REPROMPT = "Sorry, I didn't catch that. Could you say it again?"
const TRANSFERRING = 'Let me connect you with a colleague.'
const NO_TRANSFER = "I'm sorry, I can't connect you to a person right now. Please try saying that again."
const GOODBYE = 'Thank you for calling. Goodbye.'
const NO_INPUT = 'Are you still there? How can I help?'
const APOLOGY = 'Sorry, something went wrong on our side. Could you say that again?'

const scripted = defineAgent({
  manifest: { kind: 'agent', id: 'scripted', label: 'Scripted test answers', version: '1', config: z.object({}), stages: ['respond'] },
  setup: () => ({
    async respond(turn): Promise<Reply | undefined> {
      const slow = /^slow (\d+)$/.exec(turn.activity.text)
      if (slow) {
        await sleep(Number(slow[1]), undefined, { signal: turn.signal })
        return { parts: [{ type: 'text', text: `Thanks for waiting (${slow[1]} ms).` }] }
      }
      if (/human/i.test(turn.activity.text))
        return { parts: [{ type: 'text', text: 'Connecting you to a colleague.' }], speak: 'Please hold while I connect you to a colleague.', handoff: true }
      return undefined
    },
  }),
}) as unknown as AgentPlugin

let fake: FakeTwilio
let database: TestDatabase
let config: Awaited<ReturnType<typeof tempConfig>>
let dataDir: string
let gateway: RunningGateway

const line = (extra: Record<string, unknown>) => ({
  accountSid: fake.accountSid,
  authToken: fake.authToken,
  publicUrl: PUBLIC,
  voice: 'Polly.Joanna',
  greeting: GREETING,
  hints: ['order status', 'refund'],
  lowConfidence: 0.5,
  ...extra,
})

beforeAll(async () => {
  fake = createFakeTwilio()
  database = await freshPostgres()
  dataDir = await mkdtemp(join(tmpdir(), 'sb-voice-'))
  config = await tempConfig({
    acme: stringify({
      id: 'acme',
      channels: [
        { id: 'phone', type: 'voice', config: line({ answerWithinMs: 2000, maxRedirects: 2, handoff: { number: AGENT_NUMBER, callerId: '+18005550100', timeoutSeconds: 20 } }) },
        { id: 'desk', type: 'voice', config: line({ answerWithinMs: 800, maxRedirects: 1 }) },
      ],
      plugins: [
        { id: 'scripted', type: 'scripted' },
        {
          id: 'rules',
          type: 'rules',
          config: {
            rules: [
              { id: 'menu', pattern: '^menu$', reply: { text: 'What would you like to do?', options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: 'return an item please' }] } },
              { id: 'echo', pattern: '^([\\s\\S]*)$', reply: 'echo: $1' },
            ],
          },
        },
      ],
    }),
  })
  const registry = testRegistry()
  registry.addAgent(scripted)
  gateway = await startGateway({
    configDir: config.dir,
    registry,
    env: { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: process.env.SWITCHBOARD_TEST_LOG ?? 'silent', SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_SHUTDOWN_GRACE_MS: '3000', DATABASE_URL: database.url! },
  })
}, 60_000)

afterAll(async () => {
  await fake?.close()
  await gateway?.close()
  await database?.drop()
  await config?.remove()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

/** A call to one line, through the proxy: Twilio signs the public URL, the gateway gets it locally. */
const dial = (instance: 'phone' | 'desk', options: { from?: string } = {}) =>
  fake.call({
    voiceUrl: `${gateway.url}/t/acme/${instance}/incoming`,
    signatureUrl: `${PUBLIC}/t/acme/${instance}/incoming`,
    statusCallback: `${PUBLIC}/t/acme/${instance}/status`,
    ...options,
  })
const texts = (heard: readonly { text: string }[]) => heard.map((h) => h.text)
const conversationOf = async (call: FakeCall) => (await gateway.container.resolve(Tokens.Conversations).list('acme', { limit: 500 })).find((c) => c.externalId === call.sid)
const inboundOf = async (call: FakeCall) => {
  const conversation = await conversationOf(call)
  const history = conversation ? await gateway.container.resolve(Tokens.Transcript).history('acme', conversation.id) : []
  return history.filter((m) => m.direction === 'in')
}
const metrics = async () => (await fetch(`${gateway.url}/metrics`)).text()

describe('a phone call to the bot', () => {
  it('greets, answers speech, reads a menu, takes a key, hands over to a human and closes the conversation on hang-up', async () => {
    const call = dial('phone')
    expect(texts(await call.waitingForInput())).toEqual([GREETING])
    expect(call.gathers[0]).toMatchObject({
      input: ['speech', 'dtmf'],
      action: `${PUBLIC}/t/acme/phone/turn?after=0&n=1`,
      attributes: { language: 'en-US', speechTimeout: 'auto', actionOnEmptyResult: 'true', hints: 'order status, refund' },
    })

    expect(texts(await call.say('Where is my order A-1009?'))).toEqual(['echo: Where is my order A-1009?'])
    expect(texts(await call.say('menu'))).toEqual(['What would you like to do?', 'For Track my order, press 1. For Return an item, press 2.'])
    expect(call.gathers.at(-1)).toMatchObject({ input: ['dtmf', 'speech'], attributes: { numDigits: '1' } })
    expect(texts(await call.press('2'))).toEqual(['echo: return an item please'])

    // The agent's `speak` is what the caller hears; then the call is dialled through, and once the colleague hangs up the bot says goodbye.
    expect(texts(await call.say('I want a human'))).toEqual(['Please hold while I connect you to a colleague.', GOODBYE])
    expect(call.dialed).toMatchObject([{ verb: 'Dial', kind: 'number', target: AGENT_NUMBER, verbAttributes: { callerId: '+18005550100', timeout: '20' } }])
    await call.finished()
    expect(call.endReason).toBe('hangup')

    // Every request was signed over the public URL, and every answer was TwiML.
    for (const request of call.requests) expect(request, request.url).toMatchObject({ status: 200, contentType: 'text/xml; charset=utf-8' })
    expect(call.requests.map((r) => r.purpose)).toEqual(['incoming', 'gather', 'gather', 'gather', 'gather', 'dial', 'status'])
    const inbound = await inboundOf(call)
    expect(inbound.map((m) => [m.kind, m.text])).toEqual([
      ['message', 'Where is my order A-1009?'],
      ['message', 'menu'],
      ['postback', 'return an item please'],
      ['message', 'I want a human'],
    ])
    expect(inbound.map((m) => m.platformMsgId)).toEqual([1, 2, 3, 4].map((n) => `${call.sid}:${n}`))
    await waitUntil(async () => (await conversationOf(call))?.status === 'closed', 'the conversation to be closed')
    expect(await conversationOf(call)).toMatchObject({ userId: call.from, locale: 'en-US' })
  })

  it('goes back to the bot when nobody answers the transfer', async () => {
    const call = dial('phone')
    await call.waitingForInput()
    call.dialStatus = 'busy'
    expect(texts(await call.say('Can I talk to a human?'))).toEqual([
      'Please hold while I connect you to a colleague.',
      'Sorry, nobody could take your call right now. Is there anything else I can help with?',
    ])
    expect(texts(await call.say('Then track my parcel'))).toEqual(['echo: Then track my parcel'])
    await call.hangup()
    await waitUntil(async () => (await conversationOf(call))?.status === 'closed', 'the conversation to be closed')
  })

  it('says so when a reply asks for a human but the line has nobody to transfer to, and keeps listening', async () => {
    const call = dial('desk')
    await call.waitingForInput()
    expect(texts(await call.say('human please'))).toEqual(['Please hold while I connect you to a colleague.', NO_TRANSFER])
    expect(call.dialed).toEqual([])
    expect(call.phase).toBe('waiting')
    await call.hangup()
  })

  it('asks again when it is unsure what was said, then offers a human; an unclear utterance is never a turn', async () => {
    const call = dial('phone')
    await call.waitingForInput()
    expect(texts(await call.say('mumble', 0.3))).toEqual([REPROMPT])
    expect(call.gathers.at(-1)!.action).toBe(`${PUBLIC}/t/acme/phone/turn?after=0&n=1&low=1`)
    // Transferred, and the colleague took the call to its end.
    expect(texts(await call.say('mumble again', 0.2))).toEqual([TRANSFERRING, GOODBYE])
    expect(call.dialed).toMatchObject([{ kind: 'number', target: AGENT_NUMBER }])
    await call.finished()
    expect(await inboundOf(call)).toEqual([])
  })

  it('without anyone to transfer to, asks once more and answers when the caller is clear', async () => {
    const call = dial('desk')
    await call.waitingForInput()
    expect(texts(await call.say('mumble', 0.3))).toEqual([REPROMPT])
    expect(texts(await call.say('mumble', 0.3))).toEqual([NO_TRANSFER])
    expect(texts(await call.say('refund', 0.9))).toEqual(['echo: refund'])
    expect((await inboundOf(call)).map((m) => m.text)).toEqual(['refund'])
    await call.hangup()
  })

  it('prompts a silent caller, and hangs up politely after three silences', async () => {
    const call = dial('phone')
    await call.waitingForInput()
    expect(texts(await call.silence())).toEqual([NO_INPUT])
    expect(texts(await call.silence())).toEqual([NO_INPUT])
    expect(texts(await call.silence())).toEqual([GOODBYE])
    await call.finished()
    expect(call.endReason).toBe('hangup')
  })

  it('keeps a caller company while a slow answer is written, then says it once', async () => {
    const call = dial('phone')
    await call.waitingForInput()
    expect(texts(await call.say('slow 2600'))).toEqual([FILLER, 'Thanks for waiting (2600 ms).'])
    expect(call.requests.filter((r) => r.purpose === 'redirect').map((r) => new URL(r.signedUrl).pathname)).toEqual(['/t/acme/phone/pickup'])
    expect(texts(await call.say('and now?'))).toEqual(['echo: and now?'])
    await call.hangup()
  })

  it('stops waiting after its fillers and apologises; the late answer is never read out of turn', async () => {
    const call = dial('desk')
    await call.waitingForInput()
    expect(texts(await call.say('slow 2200'))).toEqual([FILLER, APOLOGY])
    const conversation = (await conversationOf(call))!
    const transcript = gateway.container.resolve(Tokens.Transcript)
    await waitUntil(async () => (await transcript.outboundAfter('acme', conversation.id, 0)).length > 0, 'the slow answer to be written')
    expect(texts(await call.say('hello'))).toEqual(['echo: hello'])
    await call.hangup()
  })

  it('answers a redelivered request with the same TwiML and runs its turn once', async () => {
    const call = dial('phone')
    const greeting = await call.waitingForInput()
    expect(texts(greeting)).toEqual([GREETING])
    const incoming = await call.repeatLastRequest()
    expect(incoming.responseBody).toBe(call.requests[0]!.responseBody)

    await call.say('order status')
    const first = call.requests.at(-1)!
    const duplicatesBefore = metricValue(await metrics(), 'switchboard_inbox_duplicates_total', { tenant: 'acme' })
    const again = await Promise.all([call.repeatLastRequest(), call.repeatLastRequest()])
    for (const attempt of again) expect(attempt).toMatchObject({ status: 200, responseBody: first.responseBody, idempotencyToken: first.idempotencyToken })
    expect(metricValue(await metrics(), 'switchboard_inbox_duplicates_total', { tenant: 'acme' }) - duplicatesBefore).toBe(2)
    expect((await inboundOf(call)).map((m) => m.text)).toEqual(['order status'])
    expect(texts(call.heard)).toEqual([GREETING, 'echo: order status'])
    await call.hangup()
  })

  it('reports itself healthy, with the URL to give Twilio', async () => {
    const probe = await gateway.tenant('acme')!.channel('phone')!.connection.probe!()
    expect(probe).toEqual({ ok: true, detail: `${PUBLIC}/t/acme/phone/incoming; 0 calls waiting for an answer` })
  })

  it('closes the conversation once, whatever order and however often the status callbacks come', async () => {
    const call = dial('phone')
    await call.waitingForInput()
    await call.say('bye')
    const attempts = await call.statusCallbacks(['ringing', 'in-progress', 'completed'], { duplicate: true, outOfOrder: true })
    expect(attempts).toHaveLength(6)
    for (const attempt of attempts) expect(attempt).toMatchObject({ status: 200, responseBody: '<?xml version="1.0" encoding="UTF-8"?><Response/>' })
    expect((await conversationOf(call))?.status).toBe('closed')
    await call.hangup()
  })
})

describe('requests that are not what Twilio sends', () => {
  const incoming = '/t/acme/phone/incoming'
  const form = (extra: Record<string, string | null> = {}) => {
    const params: Record<string, string> = { AccountSid: fake.accountSid, ApiVersion: '2010-04-01', CallSid: 'CA0123456789abcdef0123456789abcdef', CallStatus: 'ringing', From: '+14155550123', To: '+18005550100', Direction: 'inbound' }
    for (const [name, value] of Object.entries(extra)) {
      if (value === null) delete params[name]
      else params[name] = value
    }
    return params
  }
  /** POSTs `path` on the gateway, signed (unless told otherwise) over `signedUrl`, by default the public URL. */
  const post = async (path: string, params: Record<string, string>, options: { signedUrl?: string; signature?: string | null; type?: string; body?: string | Buffer } = {}) => {
    const signature = options.signature === undefined ? fake.sign(options.signedUrl ?? `${PUBLIC}${path}`, params) : options.signature
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': options.type ?? 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
      body: options.body ?? new URLSearchParams(params).toString(),
    })
    const text = await response.text()
    return { status: response.status, type: response.headers.get('content-type'), text, error: text.startsWith('{') ? (JSON.parse(text) as { error: { code: string; message: string; details?: { path: string }[] } }).error : undefined }
  }

  it('answers a request signed over the public URL with TwiML', async () => {
    const answer = await post(incoming, form())
    expect(answer).toMatchObject({ status: 200, type: 'text/xml; charset=utf-8' })
    expect(answer.text).toContain(`<Say language="en-US" voice="Polly.Joanna">${GREETING}</Say>`)
  })

  it.each([
    ['no signature', { signature: null }],
    ['a forged signature', { signature: 'uTeF8+F2I3ZkGz4uJ5pLg2hQ0wE=' }],
    ['a signature over http (the URL behind the proxy, not Twilio’s)', { signedUrl: `http://voice.acme.example${incoming}` }],
    ['a signature over the gateway’s own address', { signedUrl: `http://127.0.0.1${incoming}` }],
    ['a signature for another path', { signedUrl: `${PUBLIC}/t/acme/desk/incoming` }],
  ])('refuses %s with 403 and audits it', async (_name, options) => {
    const before = metricValue(await metrics(), 'switchboard_channel_requests_rejected_total', { tenant: 'acme' })
    const answer = await post(incoming, form(), options)
    expect(answer).toMatchObject({ status: 403, error: { code: 'SB_ERR_FORBIDDEN' } })
    expect(metricValue(await metrics(), 'switchboard_channel_requests_rejected_total', { tenant: 'acme' }) - before).toBe(1)
  })

  it('accepts the URL with the default port, as Twilio’s back end sometimes signs it', async () => {
    expect((await post(incoming, form(), { signedUrl: `https://voice.acme.example:443${incoming}` })).status).toBe(200)
  })

  it('refuses a signed query in another order, a parameter added after signing, and a trailing slash', async () => {
    const turn = '/t/acme/phone/turn?after=0&n=1'
    const signed = form({ SpeechResult: 'hi', Confidence: '0.9' })
    expect((await post('/t/acme/phone/turn?n=1&after=0', signed, { signedUrl: `${PUBLIC}${turn}` })).status).toBe(403)
    expect((await post(turn, { ...signed, Digits: '0' }, { signature: fake.sign(`${PUBLIC}${turn}`, signed) })).status).toBe(403)
    expect((await post('/t/acme/phone/incoming/', form())).status).toBe(404)
  })

  it('names the missing call parameters with 400', async () => {
    const answer = await post(incoming, form({ CallSid: null, From: null }))
    expect(answer).toMatchObject({ status: 400, error: { code: 'SB_ERR_BODY_INVALID' } })
    expect(answer.error!.details!.map((d) => d.path)).toEqual(['body.CallSid', 'body.From'])
    const other = await post(incoming, form({ AccountSid: `AC${'9'.repeat(32)}` }))
    expect(other).toMatchObject({ status: 400, error: { details: [{ path: 'body.AccountSid', message: "not this channel's account" }] } })
  })

  it('refuses a step URL it never wrote with 400', async () => {
    const answer = await post('/t/acme/phone/turn?after=0', form({ SpeechResult: 'hi' }))
    expect(answer).toMatchObject({ status: 400, error: { details: [{ path: 'query.n' }] } })
  })

  it('refuses JSON with 415, bodySHA256 webhooks included, saying they are not supported', async () => {
    const json = JSON.stringify(form())
    const answer = await post(`${incoming}?bodySHA256=${'0'.repeat(64)}`, {}, { type: 'application/json', body: json, signature: fake.sign(`${PUBLIC}${incoming}?bodySHA256=${'0'.repeat(64)}`) })
    expect(answer).toMatchObject({ status: 415, error: { code: 'SB_ERR_UNSUPPORTED_MEDIA_TYPE' } })
    expect(answer.error!.message).toMatch(/bodySHA256 are not supported/)
    expect((await post(incoming, form(), { type: 'application/x-www-form-urlencoded; charset=iso-8859-1' })).status).toBe(415)
  })

  it('refuses a body over 64 KiB with 413', async () => {
    const answer = await post(incoming, form({ Padding: 'x'.repeat(70_000) }))
    expect(answer).toMatchObject({ status: 413, error: { code: 'SB_ERR_BODY_TOO_LARGE' } })
  })

  it('serves only POST', async () => {
    expect((await fetch(`${gateway.url}${incoming}`)).status).toBe(404)
  })

  it('runs one turn for the same utterance posted three times at once', async () => {
    const call = dial('phone')
    await call.waitingForInput()
    const turn = '/t/acme/phone/turn?after=0&n=1'
    const params = form({ CallSid: call.sid, CallStatus: 'in-progress', SpeechResult: 'all at once', Confidence: '0.9', From: call.from, To: call.to })
    const answers = await Promise.all([post(turn, params), post(turn, params), post(turn, params)])
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    expect(new Set(answers.map((a) => a.text)).size).toBe(1)
    expect(answers[0]!.text).toContain('echo: all at once')
    expect((await inboundOf(call)).map((m) => m.text)).toEqual(['all at once'])
    await call.hangup()
  })

  it('ends a call whose webhook was refused the way Twilio does: an application error, nothing processed', async () => {
    const call = fake.call({ voiceUrl: `${gateway.url}${incoming}`, signatureUrl: `${PUBLIC}${incoming}` })
    call.tamperNextSignature('forged')
    await call.finished()
    expect(call.requests[0]).toMatchObject({ purpose: 'incoming', status: 403 })
    expect(call.applicationError).toMatchObject({ code: 11200 })
    expect(await conversationOf(call)).toBeUndefined()
  })
})
