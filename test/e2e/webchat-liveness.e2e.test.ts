import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient } from '../harness/ws-client.js'

let configDir: string
let gw: TestGateway

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'sb-live-'))
  await mkdir(join(configDir, 'tenants'))
  // Typing from the first millisecond, so even an instant FAQ answer shows it.
  await writeFile(join(configDir, 'gateway.yaml'), 'turns: { typingDelayMs: 0 }\n')
  await writeFile(
    join(configDir, 'tenants', 'acme.yaml'),
    `id: acme
channels:
  - id: web
    type: websocket
    config: { heartbeatSeconds: 1, helloTimeoutSeconds: 1, allowedOrigins: [https://shop.acme.example], connectionsPerMinute: 12 }
plugins:
  - { id: faq, type: rules, config: { faq: [{ question: What are your opening hours?, answer: Nine to five. }] } }
`,
  )
  gw = await startTestGateway({ configDir })
})
afterAll(async () => {
  await gw.close()
  await rm(configDir, { recursive: true, force: true })
})

const openSockets = async () => Number(/switchboard_open_sockets\{tenant="acme"\} (\d+)/.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1] ?? 0)

describe('socket liveness', () => {
  it('terminates a peer that stops answering pings, and counts it gone', async () => {
    const dead = new WebSocket(gw.wsUrl('acme'), { autoPong: false })
    await new Promise((r) => dead.once('open', r))
    dead.send(JSON.stringify({ type: 'hello' }))
    await new Promise((r) => dead.once('message', r))
    expect(await openSockets()).toBe(1)
    const code = await new Promise<number>((r) => dead.once('close', r))
    expect(code).toBe(1006) // terminated, no closing handshake
    expect(await openSockets()).toBe(0)
  })

  it('keeps a live peer that answers pings', async () => {
    const alive = new ChatClient(gw.wsUrl('acme'))
    await alive.connect()
    await new Promise((r) => setTimeout(r, 2500))
    await alive.say('What are your opening hours?')
    expect((await alive.reply()).text).toBe('Nine to five.')
    alive.close()
  })

  it('shows typing while a turn runs and clears it with the answer', async () => {
    const client = new ChatClient(gw.wsUrl('acme'))
    await client.connect()
    await client.say('What are your opening hours?')
    expect(await client.next((f) => f.type === 'typing')).toEqual({ type: 'typing', on: true })
    expect(await client.next((f) => f.type === 'typing')).toEqual({ type: 'typing', on: false })
    expect((await client.reply()).text).toBe('Nine to five.')
    client.close()
  })

  it('closes a socket that never says hello', async () => {
    const silent = new ChatClient(gw.wsUrl('acme'))
    await silent.open()
    expect(await silent.closed()).toBe(4408)
  })

  it('lets listed sites open sockets and refuses others', async () => {
    expect(await new ChatClient(gw.wsUrl('acme'), { origin: 'https://shop.acme.example' }).connect()).toMatchObject({ type: 'welcome' })
    await expect(new ChatClient(gw.wsUrl('acme'), { origin: 'https://shop.acme.example.evil.test' }).open()).rejects.toMatchObject({ status: 403 })
  })

  it('tells a client opening too many sockets to come back later', async () => {
    const opened: ChatClient[] = []
    let refused: unknown
    for (let i = 0; i < 20 && !refused; i++) {
      const client = new ChatClient(gw.wsUrl('acme'))
      await client.open().then(() => opened.push(client), (error) => (refused = error))
    }
    for (const client of opened) client.close()
    expect(opened.length).toBeLessThan(12)
    expect(refused).toMatchObject({ status: 429 })
  })
})
