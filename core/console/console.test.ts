import 'reflect-metadata'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { container } from 'tsyringe'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, type TestDatabase } from '../../test/databases.js'
import { waitUntil } from '../../test/contract/wait.js'
import { FakeOidcIssuer } from '../../test/fakes/oidc-issuer.js'
import { ManualClock, supportDesk } from '../../test/kit/support.js'
import { OidcVerifier } from '../admin/auth/oidc.js'
import { ApiKeyStore } from '../admin/auth/api-keys.js'
import { AuditLog } from '../audit/audit-log.js'
import { Tokens } from '../di/tokens.js'
import { createHttpApp } from '../gateway/http-app.js'
import { RouteTable } from '../gateway/route-table.js'
import type { GatewayConfig } from '../config/gateway-schema.js'
import { Metrics } from '../observability/metrics.js'
import { createSupportEvents } from '../support/events.js'
import type { HandoffRepository } from '../support/handoffs.js'
import type { Handoff, SupportEvent } from '../support/types.js'
import type { TenantManager } from '../tenancy/tenant-manager.js'
import { createConsole, type AgentConsole } from './index.js'

/** A console's socket as a test drives it: frames in arrival order, and how it closed. */
class ConsoleClient {
  readonly ws: WebSocket
  readonly frames: any[] = []
  closed: { code: number; reason: string } | undefined
  #read = 0

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers })
    this.ws.on('message', (data) => this.frames.push(JSON.parse(String(data))))
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }))
    this.ws.on('error', () => {})
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)))
    })
  }

  /** The upgrade's refusal, as the HTTP status. */
  refused(): Promise<number> {
    return new Promise((resolve) => this.ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)))
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  async next(): Promise<any> {
    await waitUntil(() => this.frames.length > this.#read, 'a console frame', 5000)
    return this.frames[this.#read++]
  }

  async closedWith(): Promise<{ code: number; reason: string }> {
    await waitUntil(() => this.closed !== undefined, 'the socket to close', 8000)
    return this.closed!
  }
}

describe.each(engines)('the agent console on %s', (_name, openDb) => {
  let t: TestDatabase
  let server: Server
  let url: string
  let agentConsole: AgentConsole
  let events: ReturnType<typeof createSupportEvents>
  let audit: AuditLog
  let keys: ApiKeyStore
  let handoffs: HandoffRepository
  let desk: ReturnType<typeof supportDesk>
  let closing = false
  let idp: FakeOidcIssuer
  const credentials: Record<string, string> = {}

  beforeAll(async () => {
    t = await openDb()
    desk = supportDesk(t)
    const clock: ManualClock = desk.clock
    handoffs = desk.handoffs
    keys = new ApiKeyStore(t.db, clock)
    audit = new AuditLog(t.db, clock)
    events = createSupportEvents({ log: pino({ level: 'silent' }) })
    const root = container.createChildContainer()
    root.register(Tokens.Clock, { useValue: clock })
    root.register(Tokens.Audit, { useValue: audit })
    root.register(Tokens.SupportEvents, { useValue: events })
    root.register(Tokens.Handoffs, { useValue: handoffs })
    root.register(Tokens.GatewayConfig, { useValue: { admin: { bodyLimitBytes: 16 * 1024 } } as GatewayConfig })
    const running = new Set(['acme', 'globex'])
    idp = await FakeOidcIssuer.start()
    agentConsole = createConsole({
      root,
      tenants: { get: (id: string) => (running.has(id) ? {} : undefined) } as unknown as TenantManager,
      keys,
      oidc: new OidcVerifier({ issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri }),
      secret: new TextEncoder().encode('a session secret of at least thirty-two bytes'),
      log: pino({ level: 'silent' }),
      clientAddress: (request) => String(request.headers['x-test-client'] ?? '127.0.0.1'),
    })
    const app = createHttpApp({
      routes: new RouteTable(),
      metrics: new Metrics(),
      log: pino({ level: 'silent' }),
      health: { alive: () => true, ready: async () => ({ ready: true, checks: {} }) },
      trustProxy: false,
      console: agentConsole.http,
    })
    server = createServer(app.callback())
    server.on('upgrade', (request, socket, head) => {
      if (agentConsole.handlesUpgrade(request)) agentConsole.upgrade(request, socket, head, closing)
      else socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    for (const [name, tenant, role] of [
      ['alice', 'acme', 'agent'],
      ['ada', 'acme', 'tenant-admin'],
      ['vic', 'acme', 'viewer'],
      ['gus', 'globex', 'agent'],
      ['pat', '_platform', 'platform-admin'],
      ['otto', 'gone', 'agent'],
    ] as const)
      credentials[name] = (await keys.create(tenant, { name, role, createdBy: 'u-admin' })).key
  })

  afterAll(async () => {
    await agentConsole?.close()
    await new Promise((resolve) => server?.close(resolve))
    await events?.close()
    await idp?.close()
    await t?.drop()
  })

  const signIn = (credential: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ credential }) })

  async function sessionOf(name: string): Promise<string> {
    const response = await signIn(credentials[name])
    expect(response.status).toBe(200)
    return ((await response.json()) as { token: string }).token
  }

  const socket = (headers?: Record<string, string>) => new ConsoleClient(`${url.replace('http', 'ws')}/console/ws`, headers)

  async function signedInSocket(name: string): Promise<ConsoleClient> {
    const token = await sessionOf(name)
    const client = socket()
    await client.opened()
    client.send({ type: 'auth', token })
    expect(await client.next()).toMatchObject({ type: 'ready' })
    return client
  }

  describe('signing in', () => {
    it('gives an agent a console session and records the sign-in', async () => {
      const response = await signIn(credentials.alice)
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      const body = (await response.json()) as { token: string; principal: unknown; expiresAt: string }
      expect(body.token).toMatch(/^sbc_/)
      expect(body.principal).toMatchObject({ kind: 'key', name: 'alice', tenant: 'acme', roles: ['agent'] })
      expect(Date.parse(body.expiresAt)).toBe(desk.clock.now() + 8 * 3600 * 1000)
      const entries = await audit.query('acme', { action: 'console.sign_in' })
      expect(entries.at(-1)).toMatchObject({ outcome: 'success', actor: { type: 'key' }, target: 'console' })
    })

    it('lets a tenant admin in too, and an agent signed in with the identity provider', async () => {
      expect((await signIn(credentials.ada)).status).toBe(200)
      const token = await idp.sign({ sub: 'carol@acme.example', name: 'Carol', switchboard_tenant: 'acme', switchboard_roles: ['agent'] })
      const response = await signIn(token)
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ principal: { kind: 'user', id: 'carol@acme.example', tenant: 'acme', roles: ['agent'] } })
      const stranger = await signIn(await idp.sign({ sub: 'eve', switchboard_tenant: 'acme', switchboard_roles: ['agent'] }, { key: 'stranger' }))
      expect(stranger.status).toBe(401)
    })

    it('turns away a viewer and a platform key, saying why', async () => {
      const viewer = await signIn(credentials.vic)
      expect(viewer.status).toBe(403)
      expect(await viewer.json()).toMatchObject({ error: { code: 'SB_ERR_FORBIDDEN', message: expect.stringContaining('handoff:work') } })
      const platform = await signIn(credentials.pat)
      expect(platform.status).toBe(403)
      expect(await platform.json()).toMatchObject({ error: { message: expect.stringContaining('not a platform key') } })
      expect((await audit.query('acme', { action: 'console.sign_in', outcome: 'denied' })).length).toBeGreaterThan(0)
    })

    it('turns away an agent of a tenant that is not running here', async () => {
      const response = await signIn(credentials.otto)
      expect(response.status).toBe(403)
      expect(await response.json()).toMatchObject({ error: { message: 'tenant gone is not running on this gateway' } })
    })

    it('refuses a wrong key with 401, records it, and slows an address that keeps guessing', async () => {
      const guesser = { 'x-test-client': '203.0.113.9' }
      const wrong = await signIn('sb_aaaaaaaaaa_0000000000000000000000000000000000000000000', guesser)
      expect(wrong.status).toBe(401)
      expect(await wrong.json()).toMatchObject({ error: { code: 'SB_ERR_AUTH_INVALID', message: 'sign-in failed: API key unknown' } })
      for (let i = 1; i < 10; i++) expect((await signIn(`sb_not-a-key-${i}`, guesser)).status).toBe(401)
      const slowed = await signIn(credentials.alice, guesser)
      expect(slowed.status).toBe(429)
      expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0)
      // Someone else at another address is not held up by it.
      expect((await signIn(credentials.alice)).status).toBe(200)
      await audit.flush()
      expect(await audit.query('_platform', { action: 'console.sign_in', outcome: 'denied' })).not.toHaveLength(0)
    })

    it('answers a malformed request with the field at fault', async () => {
      const response = await signIn('')
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ error: { code: 'SB_ERR_BODY_INVALID', details: [{ path: 'body.credential' }] } })
      const notJson = await fetch(`${url}/console/session`, { method: 'POST', body: 'credential=sb_x' })
      expect(notJson.status).toBe(415)
    })
  })

  describe('the page', () => {
    it('is served with a strict content security policy and cannot be framed', async () => {
      const response = await fetch(`${url}/console`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      const csp = response.headers.get('content-security-policy')!
      expect(csp).toContain("default-src 'self'")
      expect(csp).toContain("script-src 'self';")
      expect(csp).toContain("connect-src 'self' ws: wss:")
      expect(csp).not.toContain('unsafe-inline')
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('cache-control')).toBe('no-store')
      const html = await response.text()
      // Every script is a file the policy allows; none is inline.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
      expect(html).not.toMatch(/\son[a-z]+=/)
    })

    it('serves every module the page imports, and nothing else under /console', async () => {
      const pending = ['console.js']
      const seen = new Set<string>()
      while (pending.length) {
        const file = pending.pop()!
        if (seen.has(file)) continue
        seen.add(file)
        const response = await fetch(`${url}/console/${file}`)
        expect(response.status, file).toBe(200)
        expect(response.headers.get('content-type')).toMatch(/^text\/javascript/)
        for (const [, imported] of (await response.text()).matchAll(/from '\.\/([a-z-]+\.js)'/g)) pending.push(imported!)
      }
      expect(seen.size).toBeGreaterThan(3)
      expect((await fetch(`${url}/console/console.css`)).status).toBe(200)
      const unknown = await fetch(`${url}/console/secrets.txt`)
      expect(unknown.status).toBe(404)
      expect(await unknown.json()).toEqual({ error: { code: 'SB_ERR_NOT_FOUND', message: 'not found' } })
      expect((await fetch(`${url}/console/..%2Fsession.ts`)).status).toBe(404)
      expect((await fetch(`${url}/console/session`)).status).toBe(404)
    })
  })

  describe('the live feed', () => {
    let queued: Handoff

    beforeAll(async () => {
      const conversation = await desk.conversation('acme', 'visitor-1')
      queued = (await handoffs.enqueue('acme', { conversationId: conversation.id, channel: 'websocket', instance: 'web', reason: 'asked_for_human', vipLevel: 2 }, desk.clock.date())).handoff
    })

    it('opens with the agent and the tenant’s queue, then streams the tenant’s events', async () => {
      const token = await sessionOf('alice')
      const client = socket()
      await client.opened()
      client.send({ type: 'auth', token })
      const ready = await client.next()
      expect(ready).toMatchObject({ type: 'ready', principal: { name: 'alice', tenant: 'acme' }, queue: [{ id: queued.id, position: 1, vipLevel: 2 }] })

      const event: SupportEvent = { type: 'handoff', handoff: { ...queued, state: 'assigned', agentId: 'someone' } }
      events.publish('acme', event)
      expect(await client.next()).toEqual({ type: 'event', event: JSON.parse(JSON.stringify(event)) })
      client.ws.close()
    })

    it('never shows one tenant’s events to another tenant’s agent', async () => {
      const acme = await signedInSocket('alice')
      const globex = await signedInSocket('gus')
      const note = (tenant: string) => ({ type: 'note' as const, note: { id: `n-${tenant}`, conversationId: `c-${tenant}`, authorId: 'x', authorName: null, text: `for ${tenant}`, createdAt: new Date() } })
      events.publish('globex', note('globex'))
      events.publish('acme', note('acme'))
      // Events arrive in order: acme's first event being its own shows globex's never came.
      expect(await acme.next()).toMatchObject({ event: { note: { id: 'n-acme' } } })
      expect(await globex.next()).toMatchObject({ event: { note: { id: 'n-globex' } } })
      expect(globex.frames).toHaveLength(2)
      acme.ws.close()
      globex.ws.close()
    })

    it('closes with 4401 when the first frame is not a valid session', async () => {
      const chatty = socket()
      await chatty.opened()
      chatty.send({ type: 'hello' })
      expect(await chatty.next()).toMatchObject({ type: 'error', code: 'SB_ERR_AUTH_REQUIRED' })
      expect((await chatty.closedWith()).code).toBe(4401)

      const forged = socket()
      await forged.opened()
      forged.send({ type: 'auth', token: 'sbc_eyJhbGciOiJIUzI1NiJ9.e30.forged' })
      expect(await forged.next()).toMatchObject({ type: 'error', code: 'SB_ERR_AUTH_INVALID' })
      expect((await forged.closedWith()).code).toBe(4401)

      // An API key is for signing in, not for the feed.
      const key = socket()
      await key.opened()
      key.send({ type: 'auth', token: credentials.alice })
      expect((await key.closedWith()).code).toBe(4401)
    })

    it('closes with 4401 when no session arrives within five seconds', async () => {
      const silent = socket()
      await silent.opened()
      expect(await silent.closedWith()).toEqual({ code: 4401, reason: expect.stringContaining('within 5 seconds') })
      expect(silent.frames).toEqual([{ type: 'error', code: 'SB_ERR_AUTH_REQUIRED', message: expect.any(String) }])
    })

    it('refuses pages of other sites, and new sockets while the gateway shuts down', async () => {
      expect(await socket({ origin: 'https://evil.example' }).refused()).toBe(403)
      const sameSite = socket({ origin: url })
      await sameSite.opened()
      sameSite.ws.close()
      closing = true
      try {
        expect(await socket().refused()).toBe(503)
      } finally {
        closing = false
      }
    })
  })

  describe('shutting down', () => {
    it('closes every console with 1001 so pages reconnect to another replica', async () => {
      const client = await signedInSocket('alice')
      await agentConsole.close()
      expect((await client.closedWith()).code).toBe(1001)
    })
  })
})
