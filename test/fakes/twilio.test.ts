import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import twilio from 'twilio'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readBody } from './fake-connections.js'
import { APPLICATION_ERROR_MESSAGE, createFakeTwilio, twilioSignature, type FakeTwilio, type Heard } from './twilio.js'

const { VoiceResponse } = twilio.twiml

/** What the stand-in gateway received, and whether the twilio package's own validator accepts it. */
interface Received {
  path: string
  method: string
  params: Record<string, string>
  headers: IncomingHttpHeaders
  valid: boolean
}

/** TwiML (sent as text/xml), or an answer of any shape; `hang` never answers. */
type Answer = string | { status?: number; type?: string; body?: string; delayMs?: number; hang?: true }

/**
 * A gateway stand-in on 127.0.0.1: answers each path from a table, records every request and checks
 * its signature with twilio.validateRequest over the public URL (the local one unless a test says).
 */
async function startStandIn(authToken: string, routes: Record<string, (request: Received) => Answer>, publicBase?: string) {
  const received: Received[] = []
  const hanging = new Set<ServerResponse>()
  const server = createServer(async (req, res) => {
    const body = await readBody(req)
    const path = req.url ?? '/'
    const params = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(body)) : {}
    const signature = req.headers['x-twilio-signature'] as string | undefined
    const valid = signature !== undefined && twilio.validateRequest(authToken, signature, `${publicBase ?? base}${path}`, params)
    const request: Received = { path, method: req.method ?? '', params, headers: req.headers, valid }
    received.push(request)
    const route = routes[new URL(path, base).pathname]
    const answer: Answer = route ? route(request) : { status: 404, type: 'text/plain', body: 'no such route' }
    const { status = 200, type = 'text/xml', body: text = '', delayMs = 0, hang } = typeof answer === 'string' ? { body: answer } : answer
    if (hang) return void hanging.add(res)
    setTimeout(() => {
      if (res.destroyed) return
      res.writeHead(status, { 'content-type': type })
      res.end(text)
    }, delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base,
    received,
    /** The requests to one path (query ignored). */
    to: (pathname: string) => received.filter((r) => new URL(r.path, base).pathname === pathname),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const texts = (heard: readonly Heard[]) => heard.map((h) => h.text)

/** The greeting a CS voice bot answers an incoming call with (channels.md §4.1). */
function greeting(prompt = 'Hi, how can I help you today?') {
  const response = new VoiceResponse()
  response.gather({ input: ['speech', 'dtmf'], action: 'turn?seq=1', language: 'en-GB', speechTimeout: 'auto', hints: 'order status, refund', actionOnEmptyResult: true }).say({ voice: 'Polly.Amy' }, prompt)
  return response.toString()
}

function reply(text: string, next = 'turn?seq=2') {
  const response = new VoiceResponse()
  response.say(text)
  response.gather({ input: ['speech', 'dtmf'], action: next, actionOnEmptyResult: true })
  return response.toString()
}

const hangUp = (text: string) => {
  const response = new VoiceResponse()
  response.say(text)
  response.hangup()
  return response.toString()
}

let fake: FakeTwilio
const standIns: Array<Awaited<ReturnType<typeof startStandIn>>> = []
const serve = async (routes: Record<string, (request: Received) => Answer>, publicBase?: string) => {
  const standIn = await startStandIn(fake.authToken, routes, publicBase)
  standIns.push(standIn)
  return standIn
}

beforeEach(() => {
  fake = createFakeTwilio({ defaults: { readTimeoutMs: 2_000, totalTimeoutMs: 4_000 } })
})
afterEach(async () => {
  await fake.close()
  await Promise.all(standIns.splice(0).map((standIn) => standIn.close()))
})

describe('the signature', () => {
  it('matches the documented vector and the twilio package', () => {
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2'
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' }
    expect(twilioSignature('12345', url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=')
    expect(twilioSignature('12345', url, params)).toBe(twilio.getExpectedTwilioSignature('12345', url, params))
    const repeated = { Tag: ['b', 'a'], Body: 'x' }
    expect(twilioSignature('12345', url, repeated)).toBe(twilio.getExpectedTwilioSignature('12345', url, repeated))
  })
})

describe('a call through the fake Twilio', () => {
  it('posts the incoming call like Twilio, then speaks into the Gather and hears the reply', async () => {
    const gateway = await serve({
      '/voice': () => greeting(),
      '/turn': (r) => reply(`You said: ${r.params.SpeechResult ?? r.params.Digits}`),
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice`, from: '+447700900123' })

    expect(texts(await call.waitingForInput())).toEqual(['Hi, how can I help you today?'])
    expect(call.heard[0]).toMatchObject({ kind: 'say', voice: 'Polly.Amy' })
    expect(call.gathers[0]).toMatchObject({ input: ['speech', 'dtmf'], action: `${gateway.url}/turn?seq=1`, attributes: { language: 'en-GB', hints: 'order status, refund' } })
    const [incoming] = gateway.received
    expect(incoming!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(incoming!.headers['i-twilio-idempotency-token']).toMatch(/^[0-9a-f-]{36}$/)
    expect(incoming!.params).toMatchObject({
      AccountSid: fake.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      CallStatus: 'ringing',
      Called: '+18005550100',
      Caller: '+447700900123',
      Direction: 'inbound',
      From: '+447700900123',
      To: '+18005550100',
      FromCountry: 'US',
    })
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/)

    expect(texts(await call.say('where is my order', 0.87))).toEqual(['You said: where is my order'])
    const turn = gateway.to('/turn')[0]!
    expect(turn.path).toBe('/turn?seq=1')
    expect(turn.params).toMatchObject({ CallSid: call.sid, CallStatus: 'in-progress', SpeechResult: 'where is my order', Confidence: '0.87' })
    expect(turn.headers['i-twilio-idempotency-token']).not.toBe(incoming!.headers['i-twilio-idempotency-token'])
    expect(gateway.received.every((r) => r.valid)).toBe(true)
    expect(call.phase).toBe('waiting')
    expect(call.requests.map((r) => [r.purpose, r.status, r.fate])).toEqual([
      ['incoming', 200, 'followed'],
      ['gather', 200, 'followed'],
    ])
  })

  it('presses digits, and a speech-only Gather ignores them', async () => {
    const gateway = await serve({
      '/voice': () => {
        const response = new VoiceResponse()
        response.gather({ input: ['dtmf'], numDigits: 4, action: '/account' }).say('Enter your account number, then hash.')
        return response.toString()
      },
      '/account': (r) => {
        const response = new VoiceResponse()
        response.gather({ input: ['speech'], action: '/speech' }).say(`Account ${r.params.Digits}. Say yes to confirm.`)
        response.say('I did not catch that.')
        response.hangup()
        return response.toString()
      },
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    await call.waitingForInput()
    expect(texts(await call.press('123456'))).toEqual(['Account 1234. Say yes to confirm.'])
    expect(gateway.to('/account')[0]!.params).toMatchObject({ Digits: '1234', FinishedOnKey: '' })
    expect(texts(await call.press('1'))).toEqual(['I did not catch that.'])
    expect(gateway.to('/speech')).toEqual([])
    expect(call).toMatchObject({ ended: true, endReason: 'hangup', status: 'completed' })
  })

  it('follows a Redirect, GET included: params in the query, only the URL signed', async () => {
    const gateway = await serve({
      '/voice': () => {
        const response = new VoiceResponse()
        response.say('One moment.')
        response.redirect({ method: 'GET' }, '/poll?conv=1')
        return response.toString()
      },
      '/poll': () => greeting('Here is your answer. Anything else?'),
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    expect(texts(await call.waitingForInput())).toEqual(['One moment.', 'Here is your answer. Anything else?'])
    const poll = gateway.to('/poll')[0]!
    expect(poll.method).toBe('GET')
    const query = new URL(poll.path, gateway.url).searchParams
    expect(query.get('conv')).toBe('1')
    expect(query.get('CallSid')).toBe(call.sid)
    expect(twilio.validateRequest(fake.authToken, poll.headers['x-twilio-signature'] as string, `${gateway.url}${poll.path}`, {})).toBe(true)
    expect(call.requests.map((r) => r.purpose)).toEqual(['incoming', 'redirect'])
  })

  it('records a Dial and posts DialCallStatus to its action; without an action the document goes on', async () => {
    const gateway = await serve({
      '/voice': () => {
        const response = new VoiceResponse()
        response.say('Connecting you to an agent.')
        const dial = response.dial({ action: '/dial-status', timeout: 20, callerId: '+18005551212' })
        dial.number('+14155550100')
        dial.queue('support')
        return response.toString()
      },
      '/dial-status': (r) => {
        const response = new VoiceResponse()
        response.say(`Dial ended: ${r.params.DialCallStatus}.`)
        response.dial().sip('sip:overflow@cc.example.com')
        response.say('Goodbye.')
        return response.toString()
      },
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice`, dialStatus: 'busy' })
    await call.finished()
    expect(call.dialed.map((d) => [d.kind, d.target])).toEqual([
      ['number', '+14155550100'],
      ['queue', 'support'],
      ['sip', 'sip:overflow@cc.example.com'],
    ])
    expect(call.dialed[0]!.verbAttributes).toMatchObject({ callerId: '+18005551212', timeout: '20' })
    expect(gateway.to('/dial-status')[0]!.params).toMatchObject({ DialCallStatus: 'busy' })
    expect(gateway.to('/dial-status')[0]!.params.DialCallDuration).toBeUndefined()
    expect(texts(call.heard)).toEqual(['Connecting you to an agent.', 'Dial ended: busy.', 'Goodbye.'])
    expect(call.endReason).toBe('end-of-document')

    const answered = fake.call({ voiceUrl: `${gateway.url}/voice` })
    await answered.finished()
    expect(gateway.to('/dial-status')[1]!.params).toMatchObject({ DialCallStatus: 'completed', DialCallDuration: '42', DialCallSid: expect.stringMatching(/^CA/) })
  })

  it('silence: posted empty with actionOnEmptyResult, else the next verb runs', async () => {
    const gateway = await serve({
      '/voice': () => greeting(),
      '/turn': (r) => {
        if (r.params.SpeechResult === undefined && r.params.Digits === undefined) {
          const response = new VoiceResponse()
          response.gather({ input: ['speech'], action: '/last' }).say('Are you still there?')
          response.say('Goodbye.')
          response.hangup()
          return response.toString()
        }
        return reply('unexpected')
      },
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    await call.waitingForInput()
    expect(texts(await call.silence())).toEqual(['Are you still there?'])
    const empty = gateway.to('/turn')[0]!.params
    expect(empty).toMatchObject({ CallSid: call.sid, CallStatus: 'in-progress' })
    expect(Object.keys(empty).filter((k) => ['SpeechResult', 'Confidence', 'Digits'].includes(k))).toEqual([])
    expect(texts(await call.silence())).toEqual(['Goodbye.'])
    expect(gateway.to('/last')).toEqual([])
    expect(call.ended).toBe(true)
    await expect(call.say('hello?')).rejects.toThrow(/has ended \(hangup\)/)
  })

  it('runs a whole scripted call without a step-by-step driver', async () => {
    const gateway = await serve({
      '/voice': () => greeting(),
      '/turn': (r) => (r.params.Digits === '0' ? hangUp('Transferring. Goodbye.') : reply(`echo: ${r.params.SpeechResult}`, '/turn')),
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice`, script: [{ speech: 'first' }, { speech: 'second', confidence: 0.4 }, { digits: '0' }] })
    await call.finished()
    expect(texts(call.heard)).toEqual(['Hi, how can I help you today?', 'echo: first', 'echo: second', 'Transferring. Goodbye.'])
    expect(gateway.to('/turn').map((r) => r.params.Confidence)).toEqual(['0.92', '0.4', undefined])
    expect(call.gathers.map((g) => g.given)).toEqual([{ speech: 'first' }, { speech: 'second', confidence: 0.4 }, { digits: '0' }])
  })

  it('hears the application error when the answer is not TwiML, and reports the call completed', async () => {
    const gateway = await serve({
      '/voice': () => ({ type: 'application/json', body: '{"say":"hello"}' }),
      '/status': () => ({ status: 204 }),
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice`, statusCallback: `${gateway.url}/status` })
    expect(await call.waitingForInput()).toEqual([expect.objectContaining({ kind: 'error', text: APPLICATION_ERROR_MESSAGE })])
    expect(call).toMatchObject({ ended: true, endReason: 'application-error', applicationError: { code: 12300, url: `${gateway.url}/voice` } })
    expect(gateway.to('/status')[0]!.params).toMatchObject({ CallStatus: 'completed', CallSid: call.sid, SequenceNumber: '0' })

    const broken = await serve({ '/voice': () => '<Response><Say>unclosed</Response>' })
    const second = fake.call({ voiceUrl: `${broken.url}/voice` })
    await second.finished()
    expect(second.applicationError?.code).toBe(12100)
  })

  it('a slow answer beyond the read timeout is retried, then the fallback URL gets ErrorCode 11205', async () => {
    const gateway = await serve({
      '/voice': () => ({ body: greeting(), delayMs: 600 }),
      '/fallback': () => hangUp('Sorry, we are having trouble. Please call back later.'),
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice#rt=200&rc=1&rp=rt`, fallbackUrl: `${gateway.url}/fallback` })
    await call.finished()
    const [first, retry, fallback] = call.requests
    expect([first, retry].map((r) => [r!.purpose, r!.attempt, r!.failure, r!.fate])).toEqual([
      ['incoming', 1, 'rt', 'failed'],
      ['incoming', 2, 'rt', 'failed'],
    ])
    expect(retry!.signature).toBe(first!.signature)
    expect(retry!.idempotencyToken).toBe(first!.idempotencyToken)
    expect(first!.latencyMs).toBeGreaterThanOrEqual(190)
    expect(fallback).toMatchObject({ purpose: 'fallback', status: 200, fate: 'followed' })
    expect(gateway.to('/fallback')[0]!.params).toMatchObject({ ErrorCode: '11205', ErrorUrl: `${gateway.url}/voice`, CallSid: call.sid })
    expect(texts(call.heard)).toEqual(['Sorry, we are having trouble. Please call back later.'])
  })

  it('strips override fragments before sending and signing, on follow-up URLs too', async () => {
    const gateway = await serve({
      '/voice': () => {
        const response = new VoiceResponse()
        response.redirect('/next#rt=1000&rc=0')
        return response.toString()
      },
      '/next': () => hangUp('Bye.'),
    })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice#ct=1000&tt=5000` })
    await call.finished()
    expect(gateway.received.map((r) => r.path)).toEqual(['/voice', '/next'])
    expect(gateway.received.every((r) => r.valid)).toBe(true)
    expect(call.requests.map((r) => r.signedUrl)).toEqual([`${gateway.url}/voice`, `${gateway.url}/next`])
  })

  it('without a fallback, a refused connection ends the call with the application error', async () => {
    const closed = await serve({})
    const url = `${closed.url}/voice`
    await closed.close()
    const call = fake.call({ voiceUrl: url })
    await call.finished()
    expect(call.requests.map((r) => [r.attempt, r.failure])).toEqual([
      [1, 'ct'],
      [2, 'ct'],
    ])
    expect(call.applicationError).toMatchObject({ code: 11205 })
    expect(texts(call.heard)).toEqual([APPLICATION_ERROR_MESSAGE])
  })

  it('a 4xx is not retried under the default policy: the caller hears the error', async () => {
    const gateway = await serve({ '/voice': () => ({ status: 403, type: 'text/plain', body: 'invalid signature' }) })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    call.tamperNextSignature('forged')
    await call.finished()
    expect(gateway.received).toHaveLength(1)
    expect(gateway.received[0]!.valid).toBe(false)
    expect(call.applicationError).toMatchObject({ code: 11200, message: 'HTTP retrieval failure: status 403' })
  })

  it('sends a request without its signature, or forged, when told', async () => {
    const gateway = await serve({ '/voice': () => greeting(), '/turn': () => reply('ok') })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    call.tamperNextSignature('missing')
    await call.waitingForInput()
    call.tamperNextSignature('forged')
    await call.say('hello')
    await call.say('again')
    expect(gateway.received.map((r) => [r.headers['x-twilio-signature'] === undefined ? 'none' : 'sent', r.valid])).toEqual([
      ['none', false],
      ['sent', false],
      ['sent', true],
    ])
  })

  it('signs the public URL behind a proxy and resolves relative URLs against it', async () => {
    const gateway = await serve({ '/voice': () => greeting(), '/turn': () => reply('ok') }, 'https://gw.example.com')
    const call = fake.call({ voiceUrl: `${gateway.url}/voice`, signatureUrl: 'https://gw.example.com/voice' })
    await call.waitingForInput()
    await call.say('hello')
    expect(gateway.received.map((r) => [r.path, r.valid])).toEqual([
      ['/voice', true],
      ['/turn?seq=1', true],
    ])
    expect(call.requests.map((r) => r.signedUrl)).toEqual(['https://gw.example.com/voice', 'https://gw.example.com/turn?seq=1'])
  })
})

describe('redelivery and faults', () => {
  it('repeatLastRequest sends the identical request again and does not advance the call', async () => {
    let turns = 0
    const gateway = await serve({ '/voice': () => greeting(), '/turn': () => reply(`turn ${++turns}`) })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    await call.waitingForInput()
    await call.say('hello')
    const again = await call.repeatLastRequest()
    expect(again).toMatchObject({ purpose: 'gather', redelivery: true, attempt: 2, status: 200, fate: 'ignored' })
    expect(again.responseBody).toContain('turn 2')
    const [original, redelivered] = gateway.to('/turn')
    expect(redelivered!.params).toEqual(original!.params)
    expect(redelivered!.headers['x-twilio-signature']).toBe(original!.headers['x-twilio-signature'])
    expect(redelivered!.headers['i-twilio-idempotency-token']).toBe(original!.headers['i-twilio-idempotency-token'])
    expect(texts(call.heard)).toEqual(['Hi, how can I help you today?', 'turn 1'])
  })

  it('a redelivery asked for together with an input repeats the request that input causes, concurrently', async () => {
    const gateway = await serve({ '/voice': () => greeting(), '/turn': (r) => ({ body: reply(`echo: ${r.params.SpeechResult}`), delayMs: 100 }) })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    await call.waitingForInput()
    const [heard, first, second] = await Promise.all([call.say('all at once'), call.repeatLastRequest(), call.repeatLastRequest()])
    expect(texts(heard)).toEqual(['echo: all at once'])
    expect([first.params.SpeechResult, second.params.SpeechResult]).toEqual(['all at once', 'all at once'])
    const turns = gateway.to('/turn')
    expect(turns).toHaveLength(3)
    expect(new Set(turns.map((r) => r.headers['i-twilio-idempotency-token'])).size).toBe(1)
    // All three were in flight together: each was sent before any was answered.
    const sent = call.requests.filter((r) => r.purpose === 'gather')
    expect(Math.max(...sent.map((r) => r.at))).toBeLessThan(Math.min(...sent.map((r) => r.at + r.latencyMs)))
    expect(call.heard).toHaveLength(2)
  })

  it('dropNextAnswer: the answer is lost, the same request comes again after the wait, heard once', async () => {
    let turns = 0
    const gateway = await serve({ '/voice': () => greeting(), '/turn': () => reply(`answer ${++turns}`) })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    await call.waitingForInput()
    call.dropNextAnswer({ retryAfterMs: 300 })
    expect(texts(await call.say('one'))).toEqual(['answer 2'])
    const [lost, retried] = gateway.to('/turn')
    expect(retried!.headers['x-twilio-signature']).toBe(lost!.headers['x-twilio-signature'])
    expect(retried!.headers['i-twilio-idempotency-token']).toBe(lost!.headers['i-twilio-idempotency-token'])
    const drop = call.drops[0]!
    expect(drop.retriedAt! - drop.droppedAt).toBeGreaterThanOrEqual(290)
    expect(call.requests.filter((r) => r.purpose === 'gather').map((r) => [r.attempt, r.fate])).toEqual([
      [1, 'dropped'],
      [2, 'followed'],
    ])
  })

  it('holdNextAnswer: the call stalls unheard until released, then retryDropped asks again', async () => {
    let turns = 0
    const gateway = await serve({ '/voice': () => greeting(), '/turn': () => reply(`answer ${++turns}`) })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    await call.waitingForInput()
    call.holdNextAnswer()
    expect(await call.say('before the crash')).toEqual([])
    await call.waitHeld()
    expect(call.phase).toBe('stalled')
    await expect(call.say('too early')).rejects.toThrow(/held answer/)
    expect(fake.releaseHeld()).toBe(1)
    expect(fake.releaseHeld()).toBe(0)
    expect(texts(await call.retryDropped())).toEqual(['answer 2'])
    const [held, retried] = gateway.to('/turn')
    expect(retried!.params).toEqual(held!.params)
    expect(retried!.headers['i-twilio-idempotency-token']).toBe(held!.headers['i-twilio-idempotency-token'])
    expect(call.holds[0]).toMatchObject({ heldAt: expect.any(Number), releasedAt: expect.any(Number), retriedAt: expect.any(Number) })
    expect(call.requests.filter((r) => r.purpose === 'gather').map((r) => r.fate)).toEqual(['dropped', 'followed'])
    expect(call.phase).toBe('waiting')
  })

  it('the caller hangs up mid-request: the request is abandoned and the status callback says completed', async () => {
    const gateway = await serve({ '/voice': () => greeting(), '/turn': () => ({ hang: true }), '/status': () => '' })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice`, statusCallback: `${gateway.url}/status` })
    await call.waitingForInput()
    const speaking = call.say('are you there')
    await waitFor(() => gateway.to('/turn').length === 1)
    await call.hangup()
    expect(await speaking).toEqual([])
    expect(call).toMatchObject({ ended: true, endReason: 'caller-hangup', status: 'completed' })
    expect(call.requests.find((r) => r.purpose === 'gather')).toMatchObject({ failure: 'aborted', fate: 'abandoned' })
    expect(gateway.to('/status').map((r) => [r.params.CallStatus, r.valid])).toEqual([['completed', true]])
    expect(gateway.to('/status')[0]!.params.CallDuration).toMatch(/^\d+$/)
  })

  it('status callbacks can come in order, duplicated, or out of order', async () => {
    const gateway = await serve({ '/voice': () => greeting(), '/status': () => ({ status: 200, body: '' }) })
    const call = fake.call({ voiceUrl: `${gateway.url}/voice`, statusCallback: `${gateway.url}/status` })
    await call.waitingForInput()
    await call.statusCallbacks(['ringing', 'in-progress'], { duplicate: true })
    await call.statusCallbacks(['in-progress', 'completed'], { outOfOrder: true })
    expect(gateway.to('/status').map((r) => [r.params.CallStatus, r.params.SequenceNumber])).toEqual([
      ['ringing', '0'],
      ['ringing', '0'],
      ['in-progress', '1'],
      ['in-progress', '1'],
      ['completed', '3'],
      ['in-progress', '2'],
    ])
    expect(gateway.to('/status').every((r) => r.valid && r.params.CallbackSource === 'call-progress-events')).toBe(true)
    expect(call.ended).toBe(false)
  })

  it('close() abandons what is in flight, leaves no timers and destroys its keep-alive agent', async () => {
    const gateway = await serve({ '/voice': () => ({ hang: true }) })
    const baseline = timers()
    const call = fake.call({ voiceUrl: `${gateway.url}/voice` })
    await waitFor(() => gateway.received.length === 1)
    expect(timers()).toBeGreaterThan(baseline)
    await fake.close()
    await call.finished()
    expect(call).toMatchObject({ ended: true, endReason: 'fake-closed' })
    await waitFor(() => call.requests[0]?.fate === 'abandoned')
    await waitFor(() => Object.keys(fake.agent.sockets).length + Object.keys(fake.agent.freeSockets).length === 0)
    expect(timers()).toBeLessThanOrEqual(baseline)
    expect(fake.openConnections()).toBe(0)
    expect(() => fake.call({ voiceUrl: `${gateway.url}/voice` })).toThrow(/after close/)
  })
})

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

/** Polls until `check` holds (tests wait for outcomes, not for fixed times). */
async function waitFor(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(check()).toBe(true)
}
