import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient } from '../harness/ws-client.js'

let gw: TestGateway
const clients: ChatClient[] = []
const visitor = (origin?: string) => {
  const client = new ChatClient(gw.wsUrl(), { origin })
  clients.push(client)
  return client
}

beforeAll(async () => {
  gw = await startTestGateway()
})
afterAll(async () => {
  for (const c of clients) c.close()
  await gw.close()
})

describe('a web-chat conversation', () => {
  it('answers a question from the FAQ, acknowledging the message first', async () => {
    const alice = visitor()
    const welcome = await alice.connect()
    expect(welcome).toMatchObject({ type: 'welcome', resumed: false, last_seq: 0 })

    const ack = await alice.say('What are your opening hours?')
    expect(ack).toMatchObject({ type: 'ack', duplicate: false })

    const answer = await alice.reply()
    expect(answer.seq).toBe(1)
    expect(answer.text).toMatch(/Monday to Friday/)

    await alice.say('我想退款')
    expect((await alice.reply()).text).toMatch(/退货|退款/)
  })

  it('offers choices with its greeting, and a chosen option is answered', async () => {
    const bob = visitor()
    await bob.connect()
    await bob.say('hello there')
    const menu = await bob.reply()
    expect(menu.parts).toEqual([expect.objectContaining({ type: 'choice', options: expect.arrayContaining([expect.objectContaining({ value: 'How do I return an item?' })]) })])

    bob.sendRaw({ type: 'postback', client_id: randomUUID(), value: 'How do I return an item?', text: 'Returns and refunds' })
    expect((await bob.reply()).text).toMatch(/My orders/)
  })

  it('processes a message sent three times (twice at once) exactly once', async () => {
    const carol = visitor()
    await carol.connect()
    const clientId = randomUUID()
    const [first, second] = await Promise.all([carol.say('Where is my order?', clientId), carol.say('Where is my order?', clientId)])
    const third = await carol.say('Where is my order?', clientId)
    expect([first, second, third].filter((a) => a.duplicate === false)).toHaveLength(1)
    expect(new Set([first.id, second.id, third.id]).size).toBe(1)

    await carol.reply()
    await carol.say('thanks')
    const next = await carol.reply()
    expect(next.seq).toBe(2) // exactly one answer came before it
    expect(carol.duplicates).toEqual([])
  })

  it('keeps the conversation across reconnects and sends what was missed', async () => {
    const dave = visitor()
    const first = await dave.connect()
    await dave.say('How long does shipping take?')
    await dave.reply()
    dave.close()
    await dave.closed()

    const again = await dave.connect()
    expect(again).toMatchObject({ type: 'welcome', resumed: true, conversation_id: first.conversation_id, last_seq: 1 })

    // Whatever raced the disconnect, the visitor ends up with every answer exactly once.
    await dave.say('Which payment methods do you accept?')
    dave.close()
    await dave.closed()
    await dave.connect()
    while (dave.lastSeq < 2) await dave.reply()
    expect(dave.messages.map((m) => m.seq)).toEqual([1, 2])
    expect(dave.messages[1]!.text).toMatch(/PayPal/)

    // A second tab that last saw seq 1 gets exactly what it missed.
    const secondTab = visitor()
    secondTab.token = dave.token
    secondTab.lastSeq = 1
    await secondTab.connect()
    expect(await secondTab.reply()).toMatchObject({ seq: 2, text: expect.stringMatching(/PayPal/) })

    dave.sendRaw({ type: 'history' })
    const history = await dave.next((f) => f.type === 'history')
    expect((history.messages as { direction: string; text: string }[]).map((m) => m.direction)).toEqual(['in', 'out', 'in', 'out'])
    expect(dave.duplicates).toEqual([])
  })

  it('answers pings', async () => {
    const erin = visitor()
    await erin.connect()
    erin.sendRaw({ type: 'ping', id: 'p1' })
    expect(await erin.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 'p1' })
    await erin.say('I forgot my password')
    expect((await erin.reply()).text).toMatch(/reset link/)
  })
})

describe('bad input', () => {
  it('answers malformed and unknown frames with an error frame and keeps serving the socket', async () => {
    const client = visitor()
    await client.connect()
    client.sendRaw('{not json')
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ code: 'SB_ERR_FRAME_INVALID', message: 'frame is not valid JSON' })
    client.sendRaw({ type: 'launch-missiles' })
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ code: 'SB_ERR_FRAME_INVALID', message: expect.stringMatching(/unknown frame type/) })
    client.sendRaw({ type: 'message', text: 'no client id' })
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ code: 'SB_ERR_FRAME_INVALID', message: expect.stringMatching(/client_id/) })
    const tooLong = await client.say('x'.repeat(4001))
    expect(tooLong).toMatchObject({ type: 'error', code: 'SB_ERR_TEXT_TOO_LONG' })

    await client.say('What are your opening hours?')
    expect((await client.reply()).text).toMatch(/Monday/)
  })

  it('closes a socket that sends an oversize frame with 1009', async () => {
    const client = visitor()
    await client.connect()
    client.sendRaw({ type: 'message', client_id: 'big', text: 'y'.repeat(70_000) })
    expect(await client.closed()).toBe(1009)
  })

  it('requires hello first and refuses forged, foreign and expired tokens', async () => {
    const noHello = visitor()
    await noHello.open()
    noHello.sendRaw({ type: 'message', client_id: 'a', text: 'hi' })
    expect(await noHello.next((f) => f.type === 'error')).toMatchObject({ code: 'SB_ERR_AUTH_REQUIRED' })
    expect(await noHello.closed()).toBe(4400)

    const forger = visitor()
    forger.token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2XzEiLCJjaWQiOiJ4In0.c2lnbmF0dXJl'
    expect(await forger.connect()).toMatchObject({ type: 'error', code: 'SB_ERR_AUTH_INVALID' })
    expect(await forger.closed()).toBe(4401)

    const key = new TextEncoder().encode((await readFile(join(gw.dataDir, 'session-secret'), 'utf8')).trim())
    const legit = visitor()
    const welcome = await legit.connect()
    const sign = (aud: string, exp: number) =>
      new SignJWT({ cid: welcome.conversation_id }).setProtectedHeader({ alg: 'HS256' }).setSubject(welcome.visitor_id as string).setIssuer('switchboard').setAudience(aud).setIssuedAt(exp - 60).setExpirationTime(exp).sign(key)

    const foreign = visitor()
    foreign.token = await sign('webchat:other-tenant', Math.floor(Date.now() / 1000) + 600)
    expect(await foreign.connect()).toMatchObject({ code: 'SB_ERR_AUTH_INVALID' })

    const late = visitor()
    late.token = await sign('webchat:demo', Math.floor(Date.now() / 1000) - 60)
    expect(await late.connect()).toMatchObject({ code: 'SB_ERR_AUTH_EXPIRED' })
    expect(await late.closed()).toBe(4401)
  })

  it('refuses a disallowed Origin and an unknown tenant at the upgrade, and serves its own page origin', async () => {
    await expect(visitor('https://evil.example').open()).rejects.toMatchObject({ status: 403 })
    await expect(new ChatClient(gw.wsUrl('no-such-tenant')).open()).rejects.toMatchObject({ status: 404 })
    const samePage = visitor(gw.url)
    expect(await samePage.connect()).toMatchObject({ type: 'welcome' })
  })

  it('slows down a flooding socket without losing what it had sent, and others are unaffected', async () => {
    const flooder = visitor()
    const neighbour = visitor()
    await flooder.connect()
    await neighbour.connect()
    const acked = flooder.say('Where is my order?')
    for (let i = 0; i < 40; i++) flooder.sendRaw({ type: 'ping' })
    expect(await acked).toMatchObject({ type: 'ack' })
    expect(await flooder.next((f) => f.type === 'error')).toMatchObject({ code: 'SB_ERR_RATE_LIMITED', retry_after_ms: expect.any(Number) })
    const refused = await flooder.say('I forgot my password', 'c-refused')
    expect(refused).toMatchObject({ type: 'error', code: 'SB_ERR_RATE_LIMITED', client_id: 'c-refused' })
    expect((await flooder.reply()).text).toMatch(/track/)

    await neighbour.say('How long does shipping take?')
    expect((await neighbour.reply()).text).toMatch(/business days/)
  })

  it('survives clients that reset the connection while an upgrade is being refused', async () => {
    for (const [path, origin] of [['/t/nope/ws', ''], ['/t/demo/ws', 'https://evil.example']] as const) {
      for (let i = 0; i < 5; i++) {
        const socket = connect(gw.port, '127.0.0.1')
        await new Promise((r) => socket.once('connect', r))
        socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${origin ? `Origin: ${origin}\r\n` : ''}\r\n`)
        socket.resetAndDestroy()
      }
    }
    await new Promise((r) => setTimeout(r, 100))
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200)
  })

  it('answers unknown paths with one 404 that reveals nothing', async () => {
    const unknownTenant = await fetch(`${gw.url}/t/nope/chat`)
    const unknownPath = await fetch(`${gw.url}/whatever`)
    expect(unknownTenant.status).toBe(404)
    expect(await unknownTenant.json()).toEqual(await unknownPath.json())
  })
})

describe('a gateway restart in the middle of a conversation', () => {
  it('loses nothing and sends nothing twice', async () => {
    const frank = visitor()
    await frank.connect()
    await frank.say('What are your opening hours?')
    await frank.reply()

    // Accepted (acked) just before the gateway stops: the answer must still arrive, once.
    await frank.say('How do I get a refund?')
    const goodbye = frank.next((f) => f.type === 'goodbye')
    await gw.restart()
    expect(await goodbye).toMatchObject({ reason: 'shutdown' })
    expect(await frank.closed()).toBe(1001)

    const welcome = await frank.connect()
    expect(welcome).toMatchObject({ resumed: true })
    await frank.say('Which payment methods do you accept?')
    const texts = []
    while (frank.lastSeq < 3) texts.push((await frank.reply()).text)
    expect(frank.messages.map((m) => m.seq)).toEqual([1, 2, 3])
    expect(frank.messages[1]!.text).toMatch(/30 days/)
    expect(frank.messages[2]!.text).toMatch(/PayPal/)
    expect(frank.duplicates).toEqual([])
  })
})

describe('a dropped network', () => {
  it('leaves an abruptly cut visitor with every answer once after it resumes', async () => {
    const grace = visitor()
    await grace.connect()
    await grace.say('Where is my order?')
    await grace.reply()
    await grace.say('How long does shipping take?')
    await gw.crash()
    expect(await grace.closed()).toBe(1006) // no goodbye, no closing handshake

    await grace.connect()
    while (grace.lastSeq < 2) await grace.reply()
    expect(grace.messages.map((m) => m.seq)).toEqual([1, 2])
    expect(grace.messages[1]!.text).toMatch(/business days/)
    expect(grace.duplicates).toEqual([])
  })
})

describe('operations endpoints', () => {
  it('reports health, readiness and metrics', async () => {
    const henry = visitor()
    await henry.connect()
    await henry.say('What are your opening hours?')
    await henry.reply()
    expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: 'ok' })
    const ready = await fetch(`${gw.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok' } })
    const metrics = await (await fetch(`${gw.url}/metrics`)).text()
    expect(metrics).toMatch(/switchboard_messages_total\{tenant="demo",channel="websocket",direction="in",outcome="accepted"\} \d+/)
    expect(metrics).toMatch(/switchboard_turn_duration_seconds_bucket/)
    expect(metrics).toMatch(/switchboard_open_sockets\{tenant="demo"\} \d+/)
    expect(metrics).toMatch(/switchboard_process_resident_memory_bytes/)
  })
})
