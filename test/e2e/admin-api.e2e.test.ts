import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import type { z } from 'zod'
import { adminRoutes } from '../../core/admin/index.js'
import { ApiKeyStore } from '../../core/admin/auth/api-keys.js'
import type { AdminRoute } from '../../core/admin/http/route.js'
import type { AuditLog } from '../../core/audit/audit-log.js'
import type { AuditEntry } from '../../core/audit/entry.js'
import { Tokens } from '../../core/di/tokens.js'
import { DEFAULT_TICKET_POLICY } from '../../core/support/sla.js'
import { freshPostgres, type TestDatabase } from '../databases.js'
import { FakeOidcIssuer } from '../fakes/oidc-issuer.js'
import { AdminClient, type AdminResponse } from '../harness/admin-client.js'
import { repoConfigDir, startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient } from '../harness/ws-client.js'

// ---------------------------------------------------------------------------------------------
// The world: a gateway with two tenants (demo, globex) and an API key for every role in each.
// ---------------------------------------------------------------------------------------------

const ROLES = ['platform-admin', 'tenant-admin', 'agent', 'auditor', 'viewer'] as const
type Role = (typeof ROLES)[number]
/** Who works the support desk: customers, tickets, handoffs. */
const DESK: readonly Role[] = ['platform-admin', 'tenant-admin', 'agent']
const NO_DESK = '409 SB_ERR_HANDOFF_DISABLED'
const TENANT_ROLES = ['tenant-admin', 'agent', 'auditor', 'viewer'] as const
type TenantRole = (typeof TENANT_ROLES)[number]
const TENANTS = ['demo', 'globex'] as const
type Tenant = (typeof TENANTS)[number]
const PLATFORM = '_platform'
const TEST_ORIGIN = { actor: { type: 'system' as const, id: 'admin-api-test' } }

const tenantDocument = (id: string, answer = `${id} is open Monday to Friday, nine to five.`) => ({
  id,
  name: `${id} Inc.`,
  locale: 'en',
  channels: [{ id: 'web', type: 'websocket', config: { title: `${id} support` } }],
  plugins: [{ id: 'faq', type: 'rules', config: { faq: [{ id: 'hours', question: 'When are you open?', keywords: ['open', 'hours'], answer }] } }],
})

const GLOBEX_YAML = `# A second tenant, so that every check has a tenant it must not reach.
id: globex
name: Globex Corporation
channels:
  - id: web
    type: websocket
plugins:
  - id: faq
    type: rules
    config:
      faq:
        - id: hours
          question: When are you open?
          keywords: [open, hours]
          answer: Globex answers around the clock.
`

let unique = 0
const fresh = (prefix: string) => `${prefix}-${++unique}-${randomBytes(3).toString('hex')}`

interface World {
  gw: TestGateway
  admin: AdminClient
  configDir: string
  store: ApiKeyStore
  audit: AuditLog
  platform: { key: string; id: string }
  keys: Record<Tenant, Record<TenantRole, { key: string; id: string }>>
  close(): Promise<void>
}

async function startWorld(options: { databaseUrl?: string; oidc?: FakeOidcIssuer } = {}): Promise<World> {
  // A config folder of our own: the tests add, break and remove tenant files.
  const configDir = await mkdtemp(join(tmpdir(), 'switchboard-admin-config-'))
  await mkdir(join(configDir, 'tenants'))
  // The demo tenant as shipped, minus the handoff plugin: the desk's actions answer "disabled"
  // here (the handoff e2e suites exercise them with it).
  const demo = parseYaml(await readFile(join(repoConfigDir, 'tenants', 'demo.yaml'), 'utf8')) as { plugins: { type: string }[] }
  await writeFile(join(configDir, 'tenants', 'demo.yaml'), stringifyYaml({ ...demo, plugins: demo.plugins.filter((p) => p.type !== 'handoff') }))
  await cp(join(repoConfigDir, 'knowledge', 'demo'), join(configDir, 'knowledge', 'demo'), { recursive: true })
  await writeFile(join(configDir, 'tenants', 'globex.yaml'), GLOBEX_YAML)
  const oidc = options.oidc
  await writeFile(
    join(configDir, 'gateway.yaml'),
    oidc ? `admin:\n  oidc:\n    issuer: ${oidc.issuer}\n    audience: ${oidc.audience}\n    jwksUri: ${oidc.jwksUri}\n` : 'admin:\n  enabled: true\n',
  )
  const gw = await startTestGateway({ configDir, databaseUrl: options.databaseUrl })
  const container = gw.gateway.container
  const store = container.resolve(ApiKeyStore)
  const mint = async (tenant: string, role: Role) => {
    const { key, record } = await store.create(tenant, { name: `${role} of ${tenant}`, role, createdBy: 'test' })
    return { key, id: record.id }
  }
  const keys = {} as World['keys']
  for (const tenant of TENANTS) {
    keys[tenant] = {} as Record<TenantRole, { key: string; id: string }>
    for (const role of TENANT_ROLES) keys[tenant][role] = await mint(tenant, role)
  }
  return {
    gw,
    admin: new AdminClient(gw.url),
    configDir,
    store,
    audit: container.resolve(Tokens.Audit),
    platform: await mint(PLATFORM, 'platform-admin'),
    keys,
    async close() {
      await gw.close()
      await rm(configDir, { recursive: true, force: true })
    },
  }
}

const routeKey = (r: Pick<AdminRoute, 'method' | 'path'>) => `${r.method} ${r.path}`
const routesOf = (w: World) => adminRoutes(w.gw.gateway.container, w.gw.gateway.tenants)
const errorCode = (res: AdminResponse) => (res.body as { error?: { code?: string } } | undefined)?.error?.code
/** "200", "201", "403 SB_ERR_FORBIDDEN"…: what a matrix cell shows. */
const outcomeOf = (res: AdminResponse) => (res.status >= 400 ? `${res.status} ${errorCode(res)}` : String(res.status))

async function allEntries(w: World, tenant: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = []
  for await (const entry of w.audit.export(tenant)) entries.push(entry)
  return entries
}

/** A web-chat visitor says `lines`, waiting for each answer; returns the conversation id and the answers. */
async function chat(gw: TestGateway, tenant: string, lines: string[], name?: string) {
  const visitor = new ChatClient(gw.wsUrl(tenant))
  await visitor.open()
  visitor.sendRaw({ type: 'hello', ...(name ? { user: { name } } : {}) })
  const welcome = await visitor.next((f) => f.type === 'welcome' || f.type === 'error')
  expect(welcome.type).toBe('welcome')
  const answers: string[] = []
  for (const line of lines) {
    expect(await visitor.say(line)).toMatchObject({ type: 'ack' })
    answers.push((await visitor.reply()).text)
  }
  visitor.close()
  return { conversationId: welcome.conversation_id as string, visitorId: welcome.visitor_id as string | undefined, answers }
}

// ---------------------------------------------------------------------------------------------
// The RBAC matrix: every route × every role, on the own tenant, another tenant and the platform.
// ---------------------------------------------------------------------------------------------

/**
 * Who may call what, as the product promises it (written out here rather than read from rbac.ts,
 * so a change to the grants shows up as a failing row). `platformSpace`: the route also works on
 * the platform's own key and audit space `_platform` (platform-admin only).
 */
const RULES: Record<string, { who: readonly Role[]; status?: number; platformSpace?: true; permitted?: string }> = {
  'GET /tenants': { who: ROLES },
  'POST /tenants': { who: ['platform-admin'], status: 201 },
  'GET /tenants/:tenant': { who: ROLES },
  'GET /tenants/:tenant/status': { who: ROLES },
  'POST /tenants/:tenant/reload': { who: ['platform-admin', 'tenant-admin'] },
  'DELETE /tenants/:tenant': { who: ['platform-admin'] },
  'GET /tenants/:tenant/channels': { who: ['platform-admin', 'tenant-admin', 'agent', 'viewer'] },
  'GET /tenants/:tenant/plugins': { who: ['platform-admin', 'tenant-admin', 'agent', 'viewer'] },
  'GET /tenants/:tenant/conversations': { who: ['platform-admin', 'tenant-admin', 'agent'] },
  'GET /tenants/:tenant/conversations/:conversation': { who: ['platform-admin', 'tenant-admin', 'agent'] },
  'GET /tenants/:tenant/exports/conversations.jsonl': { who: ['platform-admin', 'tenant-admin'] },
  'POST /tenants/:tenant/keys': { who: ['platform-admin', 'tenant-admin'], status: 201, platformSpace: true },
  'GET /tenants/:tenant/keys': { who: ['platform-admin', 'tenant-admin'], platformSpace: true },
  'DELETE /tenants/:tenant/keys/:key': { who: ['platform-admin', 'tenant-admin'], platformSpace: true },
  'GET /tenants/:tenant/audit': { who: ['platform-admin', 'tenant-admin', 'auditor'], platformSpace: true },
  'GET /tenants/:tenant/audit/export': { who: ['platform-admin', 'tenant-admin', 'auditor'], platformSpace: true },
  'GET /tenants/:tenant/audit/verify': { who: ['platform-admin', 'tenant-admin', 'auditor'], platformSpace: true },
  'GET /tenants/:tenant/customers': { who: DESK },
  'GET /tenants/:tenant/customers/:customer': { who: DESK },
  'PATCH /tenants/:tenant/customers/:customer': { who: ['platform-admin', 'tenant-admin'] },
  'POST /tenants/:tenant/customers/:customer/link': { who: ['platform-admin', 'tenant-admin'] },
  'GET /tenants/:tenant/tickets': { who: DESK },
  'POST /tenants/:tenant/tickets': { who: DESK, status: 201 },
  'GET /tenants/:tenant/tickets/:ticket': { who: DESK },
  'PATCH /tenants/:tenant/tickets/:ticket': { who: DESK },
  'POST /tenants/:tenant/tickets/:ticket/conversations': { who: DESK },
  'GET /tenants/:tenant/handoffs/queue': { who: DESK },
  'GET /tenants/:tenant/handoffs': { who: DESK },
  // The matrix's tenants run without the handoff plugin: an action that passed the permission
  // check reaches the desk and hears that it is off.
  'POST /tenants/:tenant/handoffs/take': { who: DESK, permitted: NO_DESK },
  'POST /tenants/:tenant/handoffs/:handoff/reply': { who: DESK, status: 201, permitted: NO_DESK },
  'POST /tenants/:tenant/handoffs/:handoff/resolve': { who: DESK, permitted: NO_DESK },
  'POST /tenants/:tenant/handoffs/:handoff/release': { who: DESK, permitted: NO_DESK },
  'POST /tenants/:tenant/conversations/:conversation/handoff': { who: DESK, status: 201, permitted: NO_DESK },
  'GET /tenants/:tenant/conversations/:conversation/notes': { who: DESK },
  'POST /tenants/:tenant/conversations/:conversation/notes': { who: DESK, status: 201, permitted: NO_DESK },
  'GET /tenants/:tenant/conversations/:conversation/desk': { who: DESK },
}

/** A call the support desk's data would answer, made for the matrix: body and ids filled in. */
const SHOT_BODIES: Record<string, unknown> = {
  'PATCH /tenants/:tenant/customers/:customer': { tags: ['matrix'] },
  'POST /tenants/:tenant/tickets': { subject: 'Matrix ticket', priority: 'low', notifyCustomer: false },
  'PATCH /tenants/:tenant/tickets/:ticket': { assignee: 'matrix' },
  'POST /tenants/:tenant/handoffs/take': {},
  'POST /tenants/:tenant/handoffs/:handoff/reply': { text: 'Hello from the matrix' },
  'POST /tenants/:tenant/handoffs/:handoff/resolve': {},
  'POST /tenants/:tenant/conversations/:conversation/handoff': { reason: 'matrix' },
  'POST /tenants/:tenant/conversations/:conversation/notes': { text: 'matrix note' },
}

/** What each tenant of the matrix has for routes that name one: a conversation, a customer, a ticket. */
type Fixtures = Record<string, { conversation: string; customer: string; ticket: string }>

interface Caller {
  label: string
  role: Role
  /** null: the platform. */
  home: Tenant | null
  key: string
}

const callersOf = (w: World): Caller[] => [
  { label: 'platform-admin', role: 'platform-admin', home: null, key: w.platform.key },
  ...TENANTS.flatMap((home) => TENANT_ROLES.map((role): Caller => ({ label: `${role} of ${home}`, role, home, key: w.keys[home][role].key }))),
]

/** The targets a caller aims at: its own tenant, the other one, and (for a few) the platform space. */
function targetsOf(route: string, caller: Caller): (string | undefined)[] {
  if (!route.includes(':tenant')) return [undefined]
  if (caller.home === null) return [...TENANTS, PLATFORM]
  const other = TENANTS.find((t) => t !== caller.home)!
  return caller.role === 'tenant-admin' ? [caller.home, other, PLATFORM] : [caller.home, other]
}

function expectedOutcome(route: string, caller: Caller, target: string | undefined): string {
  const rule = RULES[route]!
  // Not yours and not there look the same: 404 before any permission is looked at.
  if (target === PLATFORM && !(rule.platformSpace && caller.home === null)) return '404 SB_ERR_NOT_FOUND'
  if (target !== undefined && target !== PLATFORM && caller.home !== null && target !== caller.home) return '404 SB_ERR_NOT_FOUND'
  return rule.who.includes(caller.role) ? (rule.permitted ?? String(rule.status ?? 200)) : '403 SB_ERR_FORBIDDEN'
}

interface Shot {
  path: string
  body?: unknown
  /** The tenant really acted on, when the shot swaps in a throwaway one. */
  actedOn?: string
  /** What must (not) have happened, given the answer. */
  after?(res: AdminResponse): Promise<void>
}

/**
 * How to call a route for the matrix so that a permitted call succeeds for real (valid body,
 * existing sub-resource) and a destructive one destroys only something made for the shot.
 */
async function aim(w: World, route: string, caller: Caller, target: string | undefined, permitted: boolean, fixtures: Fixtures): Promise<Shot> {
  const tenant = target ?? ''
  const own = fixtures[tenant] ?? fixtures.demo!
  const path = route
    .split(' ')[1]!
    .replace(':tenant', tenant)
    .replace(':conversation', own.conversation)
    .replace(':customer', own.customer)
    .replace(':ticket', own.ticket)
    .replace(':handoff', 'ho_matrix')
  switch (route) {
    case 'GET /tenants':
      return {
        path: '/tenants',
        after: async (res) => {
          if (res.status !== 200) return
          const ids = (res.body as { tenants: { id: string }[] }).tenants.map((t) => t.id)
          if (caller.home) expect(ids).toEqual([caller.home])
          else expect(ids).toEqual(expect.arrayContaining([...TENANTS]))
        },
      }
    case 'POST /tenants': {
      const id = fresh('matrix-new')
      return {
        path: '/tenants',
        body: tenantDocument(id),
        after: async (res) => {
          const running = w.gw.gateway.tenants.get(id) !== undefined
          expect({ running, file: existsSync(join(w.configDir, 'tenants', `${id}.yaml`)) }).toEqual({ running: res.status === 201, file: res.status === 201 })
          if (running) await w.gw.gateway.tenants.remove(id)
        },
      }
    }
    case 'DELETE /tenants/:tenant': {
      if (permitted && target !== PLATFORM) {
        // A platform admin really removes a tenant: a throwaway one, started for this shot.
        const id = fresh('matrix-gone')
        await w.gw.gateway.tenants.add(id, tenantDocument(id), TEST_ORIGIN)
        return { path: `/tenants/${id}`, actedOn: id, after: async () => expect(w.gw.gateway.tenants.get(id)).toBeUndefined() }
      }
      // Everyone else aims at the real tenant, which must still be running afterwards.
      return {
        path,
        after: async () => {
          if (target !== PLATFORM) expect(w.gw.gateway.tenants.get(tenant)).toBeDefined()
        },
      }
    }
    case 'POST /tenants/:tenant/customers/:customer/link': {
      // A customer made for the shot, merged only when the call was allowed.
      if (!TENANTS.includes(tenant as Tenant)) return { path, body: { customerId: 'cu_matrix' } }
      const customers = w.gw.gateway.container.resolve(Tokens.Customers)
      const other = await customers.resolve(tenant, { channel: 'websocket', instance: 'web', userId: fresh('matrix-merge') })
      return {
        path,
        body: { customerId: other.id },
        after: async (res) => expect((await customers.get(tenant, other.id))!.id).toBe(res.status === 200 ? own.customer : other.id),
      }
    }
    case 'POST /tenants/:tenant/tickets/:ticket/conversations':
      return { path, body: { conversationId: own.conversation } }
    case 'POST /tenants/:tenant/keys': {
      const name = fresh('matrix-key')
      return {
        path,
        body: { name, role: target === PLATFORM ? 'platform-admin' : 'viewer' },
        after: async (res) => {
          if (target === undefined) return
          const created = (await w.store.list(target)).some((k) => k.name === name)
          expect(created).toBe(res.status === 201)
        },
      }
    }
    case 'DELETE /tenants/:tenant/keys/:key': {
      // A key made for the shot, in the tenant aimed at: revoked only when the call was allowed.
      const owner = target === PLATFORM ? PLATFORM : tenant
      const { key, record } = await w.store.create(owner, { name: fresh('matrix-throwaway'), role: owner === PLATFORM ? 'platform-admin' : 'viewer', createdBy: 'test' })
      return {
        path: path.replace(':key', record.id),
        after: async (res) => expect((await w.store.authenticate(key)).ok).toBe(res.status !== 200),
      }
    }
    default:
      return { path, body: SHOT_BODIES[route] }
  }
}

interface Cell {
  route: string
  caller: Caller
  target: string | undefined
  actedOn: string | undefined
  expected: string
  actual: string
  requestId: string
}

const ENGINES: [string, (() => Promise<TestDatabase>) | undefined][] = [
  ['PGlite', undefined],
  ['PostgreSQL', freshPostgres],
]

describe.each(ENGINES)('the RBAC matrix on %s', (_engine, database) => {
  let w: World
  let db: TestDatabase | undefined
  let routes: Map<string, AdminRoute>
  const fixtures: Fixtures = {}
  const cells: Cell[] = []

  beforeAll(async () => {
    db = database ? await database() : undefined
    w = await startWorld({ databaseUrl: db?.url })
    routes = new Map(routesOf(w).map((r) => [routeKey(r), r]))
    const container = w.gw.gateway.container
    for (const tenant of TENANTS) {
      const conversation = (await chat(w.gw, tenant, ['When are you open?'])).conversationId
      const customer = await container.resolve(Tokens.Customers).resolve(tenant, { channel: 'websocket', instance: 'web', userId: fresh('matrix-customer') })
      const ticket = await container.resolve(Tokens.Tickets).create(tenant, { subject: 'Matrix', priority: 'low', source: 'admin', conversationId: conversation }, TEST_ORIGIN.actor, DEFAULT_TICKET_POLICY.sla)
      fixtures[tenant] = { conversation, customer: customer.id, ticket: ticket.id }
    }
  }, 60_000)
  afterAll(async () => {
    await w?.close()
    await db?.drop()
  })

  it('has a row for every route the API serves, and the OpenAPI document lists exactly those', async () => {
    expect([...routes.keys()].sort()).toEqual(Object.keys(RULES).sort())
    const document = (await w.admin.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> }
    const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace('/admin/v1', '').replace(/\{(\w+)\}/g, ':$1')}`),
    )
    expect(documented.sort()).toEqual(Object.keys(RULES).sort())
  })

  // One test per route, taken from the routes the gateway serves (checked against RULES above).
  it.each(Object.keys(RULES))('%s: allowed roles succeed, the others get 403, other tenants 404', async (route) => {
    const served = routes.get(route)
    expect(served, `${route} is in RULES but not served`).toBeDefined()
    const shots = callersOf(w).flatMap((caller) => targetsOf(route, caller).map((target) => ({ caller, target, expected: expectedOutcome(route, caller, target) })))
    const results = await Promise.all(
      shots.map(async ({ caller, target, expected }) => {
        const shot = await aim(w, route, caller, target, !expected.startsWith('4'), fixtures)
        const res = await w.admin.request(served!.method, shot.path, { key: caller.key, ...(shot.body !== undefined ? { body: shot.body } : {}) })
        await shot.after?.(res)
        const cell: Cell = { route, caller, target, actedOn: shot.actedOn ?? target, expected, actual: outcomeOf(res), requestId: res.headers.get('x-request-id')! }
        cells.push(cell)
        return cell
      }),
    )
    const table = (pick: (c: Cell) => string) => Object.fromEntries(results.map((c) => [`${c.caller.label} → ${c.target ?? route.split(' ')[1]}`, pick(c)]))
    expect(table((c) => c.actual)).toEqual(table((c) => c.expected))
  })

  it('audited every call of the matrix: successes in the tenant acted on, denials only in the caller’s own chain', async () => {
    expect(cells.length).toBeGreaterThan(200)
    const chains = new Map<string, Map<string, AuditEntry[]>>()
    const chain = async (tenant: string) => {
      if (!chains.has(tenant)) {
        const byRequest = new Map<string, AuditEntry[]>()
        for (const e of await allEntries(w, tenant)) if (e.requestId) byRequest.set(e.requestId, [...(byRequest.get(e.requestId) ?? []), e])
        chains.set(tenant, byRequest)
      }
      return chains.get(tenant)!
    }
    const problems: string[] = []
    for (const cell of cells) {
      const action = routes.get(cell.route)!.action
      const own = cell.caller.home ?? PLATFORM
      const where = `${cell.caller.label} → ${cell.target ?? '-'} ${cell.route}`
      if (cell.actual.startsWith('403')) {
        const found = (await chain(own)).get(cell.requestId) ?? []
        if (!found.some((e) => e.outcome === 'denied' && e.action === action && e.details.permission !== undefined)) problems.push(`403 not audited as denied in ${own}: ${where}`)
      } else if (cell.actual.startsWith('404') && cell.caller.home && cell.target && cell.target !== PLATFORM && cell.target !== cell.caller.home) {
        // A probe of another tenant is recorded for the prober's owners, and never in the probed tenant.
        if (!((await chain(own)).get(cell.requestId) ?? []).some((e) => e.outcome === 'denied')) problems.push(`cross-tenant 404 not audited in ${own}: ${where}`)
        if ((await chain(cell.target)).has(cell.requestId)) problems.push(`cross-tenant probe visible in ${cell.target}: ${where}`)
      } else if (/^2/.test(cell.actual)) {
        const acted = cell.actedOn ?? own
        if (!((await chain(acted)).get(cell.requestId) ?? []).some((e) => e.outcome === 'success' && e.action === action)) problems.push(`success not audited in ${acted}: ${where}`)
      }
    }
    expect(problems).toEqual([])
    for (const tenant of [...TENANTS, PLATFORM]) expect((await w.admin.get(`/tenants/${tenant}/audit/verify`, { key: w.platform.key })).body).toMatchObject({ ok: true })
  })
})

// ---------------------------------------------------------------------------------------------
// An operator's day with the API: one gateway (PGlite) with OIDC sign-in against a fake issuer.
// ---------------------------------------------------------------------------------------------

describe('an operator and the admin API', () => {
  let w: World
  let issuer: FakeOidcIssuer
  let admin: AdminClient
  /** The demo tenant's admin, Tess. */
  let tess: string
  /** Globex's admin. */
  let gina: string
  /** The platform admin, Pat. */
  let pat: string

  beforeAll(async () => {
    issuer = await FakeOidcIssuer.start({ audience: 'switchboard-admin' })
    w = await startWorld({ oidc: issuer })
    admin = w.admin
    tess = w.keys.demo['tenant-admin'].key
    gina = w.keys.globex['tenant-admin'].key
    pat = w.platform.key
  }, 60_000)
  afterAll(async () => {
    await w?.close()
    await issuer?.close()
  })

  describe('signing in', () => {
    const refused = (res: AdminResponse, code: string) => {
      expect({ status: res.status, code: errorCode(res) }).toEqual({ status: 401, code })
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/)
    }

    it('asks for credentials when none are given', async () => {
      refused(await admin.get('/tenants'), 'SB_ERR_AUTH_REQUIRED')
    })

    it('refuses malformed and unknown keys', async () => {
      refused(await admin.get('/tenants', { headers: { authorization: `Basic ${Buffer.from('tess:secret').toString('base64')}` } }), 'SB_ERR_AUTH_INVALID')
      refused(await admin.get('/tenants', { headers: { authorization: 'Bearer' } }), 'SB_ERR_AUTH_INVALID')
      refused(await admin.get('/tenants', { key: 'sb_not-a-key' }), 'SB_ERR_AUTH_INVALID')
      refused(await admin.get('/tenants', { key: 'not-a-key-at-all' }), 'SB_ERR_AUTH_INVALID')
      refused(await admin.get('/tenants', { key: `sb_aaaaaaaaaa_${'A'.repeat(43)}` }), 'SB_ERR_AUTH_INVALID')
      // One character off a real key is a different key.
      refused(await admin.get('/tenants', { key: `${tess.slice(0, -1)}${tess.endsWith('A') ? 'B' : 'A'}` }), 'SB_ERR_AUTH_INVALID')
    })

    it('refuses a revoked key from the moment it is revoked', async () => {
      const { key, record } = await w.store.create('demo', { name: 'soon revoked', role: 'viewer', createdBy: 'test' })
      expect((await admin.get('/tenants/demo', { key })).status).toBe(200)
      expect((await admin.delete(`/tenants/demo/keys/${record.id}`, { key: tess })).status).toBe(200)
      refused(await admin.get('/tenants/demo', { key }), 'SB_ERR_AUTH_INVALID')
    })

    it('refuses an expired key', async () => {
      const { key } = await w.store.create('demo', { name: 'short-lived', role: 'viewer', createdBy: 'test', expiresAt: new Date(Date.now() + 800) })
      expect((await admin.get('/tenants/demo', { key })).status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 900))
      refused(await admin.get('/tenants/demo', { key }), 'SB_ERR_AUTH_EXPIRED')
    })

    it('records failed sign-ins in the platform’s audit log', async () => {
      await admin.get('/tenants/demo', { key: 'sb_guessing' })
      await vi.waitFor(async () => {
        const { body } = await admin.get('/tenants/_platform/audit?action=auth.failed&outcome=denied', { key: pat })
        expect(body.entries.length).toBeGreaterThan(0)
      })
    })

    describe('with tokens from the identity provider', () => {
      const claims = (tenant: string | undefined, roles: string[] | string, sub = 'ann') => ({ sub, name: `${sub} example`, ...(tenant ? { switchboard_tenant: tenant } : {}), switchboard_roles: roles })

      it('lets Ann, an auditor of demo, do what auditors do and nothing more', async () => {
        const ann = await issuer.sign(claims('demo', ['auditor', 'some-other-app-role']))
        expect((await admin.get('/tenants/demo/audit/verify', { key: ann })).body).toMatchObject({ ok: true })
        const forbidden = await admin.get('/tenants/demo/keys', { key: ann })
        expect({ status: forbidden.status, code: errorCode(forbidden) }).toEqual({ status: 403, code: 'SB_ERR_FORBIDDEN' })
        expect(errorCode(await admin.get('/tenants/globex/audit', { key: ann }))).toBe('SB_ERR_NOT_FOUND')
        // Both refusals are on record in demo's log, under Ann's name: the missing permission and the probe of globex.
        const { body } = await admin.get('/tenants/demo/audit?actor=ann&outcome=denied', { key: ann })
        expect(body.entries).toEqual([
          expect.objectContaining({ actor: { type: 'user', id: 'ann' }, action: 'key.list', target: 'tenant:demo', details: expect.objectContaining({ permission: 'keys:read' }) }),
          expect.objectContaining({ actor: { type: 'user', id: 'ann' }, action: 'audit.query', target: 'tenant:globex' }),
        ])
        expect((await allEntries(w, 'globex')).filter((e) => e.actor.id === 'ann')).toEqual([])
      })

      it('takes roles as a space-separated claim too, and records the user as the key’s creator', async () => {
        const ted = await issuer.sign(claims('demo', 'agent tenant-admin', 'ted'))
        const res = await admin.post('/tenants/demo/keys', { key: ted, body: { name: 'made by ted', role: 'agent' } })
        expect(res.status).toBe(201)
        expect(res.body.createdBy).toBe('user:ted')
      })

      it('does not let a tenant user claiming platform-admin out of its tenant', async () => {
        const mallory = await issuer.sign(claims('demo', ['platform-admin'], 'mallory'))
        expect(errorCode(await admin.get('/tenants/globex', { key: mallory }))).toBe('SB_ERR_NOT_FOUND')
        expect(errorCode(await admin.post('/tenants', { key: mallory, body: tenantDocument('mallory-co') }))).toBe('SB_ERR_FORBIDDEN')
        expect(existsSync(join(w.configDir, 'tenants', 'mallory-co.yaml'))).toBe(false)
      })

      it('lets a platform user (no tenant claim) see every tenant', async () => {
        const root = await issuer.sign(claims(undefined, ['platform-admin'], 'root'))
        const { body } = await admin.get('/tenants', { key: root })
        expect(body.tenants.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(['demo', 'globex']))
      })

      it('refuses forged, expired, foreign and unsigned tokens', async () => {
        refused(await admin.get('/tenants', { key: await issuer.sign(claims('demo', ['tenant-admin']), { key: 'stranger' }) }), 'SB_ERR_AUTH_INVALID')
        refused(await admin.get('/tenants', { key: await issuer.sign(claims('demo', ['tenant-admin']), { expiresIn: -3600 }) }), 'SB_ERR_AUTH_EXPIRED')
        refused(await admin.get('/tenants', { key: await issuer.sign(claims('demo', ['tenant-admin']), { audience: 'another-app' }) }), 'SB_ERR_AUTH_INVALID')
        refused(await admin.get('/tenants', { key: await issuer.sign(claims('demo', ['tenant-admin']), { issuer: 'https://evil.example' }) }), 'SB_ERR_AUTH_INVALID')
        refused(await admin.get('/tenants', { key: await issuer.sign(claims('demo', ['tenant-admin']), { expiresIn: null }) }), 'SB_ERR_AUTH_INVALID')
        const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
        const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims('demo', ['tenant-admin']), iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 300 })}.`
        refused(await admin.get('/tenants', { key: unsigned }), 'SB_ERR_AUTH_INVALID')
      })
    })
  })

  describe('API keys', () => {
    it('shows a new key once; the list never shows it or its hash; revoking it stops it at once', async () => {
      const created = await admin.post('/tenants/demo/keys', { key: tess, body: { name: 'Agent Smith’s key', role: 'agent' } })
      expect(created.status).toBe(201)
      const { key, id } = created.body as { key: string; id: string }
      expect(key).toMatch(new RegExp(`^sb_${id}_[A-Za-z0-9_-]{43}$`))
      expect(created.body).toMatchObject({ tenant: 'demo', name: 'Agent Smith’s key', role: 'agent', revokedAt: null })

      const listed = await admin.get('/tenants/demo/keys', { key: tess })
      const record = listed.body.keys.find((k: { id: string }) => k.id === id)
      expect(record).toMatchObject({ id, name: 'Agent Smith’s key', role: 'agent' })
      for (const k of listed.body.keys) expect(Object.keys(k).sort()).toEqual(['createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'role', 'tenant'])
      const hash = createHash('sha256').update(key).digest('hex')
      expect(listed.text).not.toContain(key.split('_').at(-1))
      expect(listed.text).not.toContain(hash)

      expect((await admin.get('/tenants/demo/conversations', { key })).status).toBe(200)
      const revoked = await admin.delete(`/tenants/demo/keys/${id}`, { key: tess })
      expect(revoked.status).toBe(200)
      expect(revoked.body.revokedAt).toEqual(expect.any(String))
      expect((await admin.get('/tenants/demo/conversations', { key })).status).toBe(401)
      expect(errorCode(await admin.delete(`/tenants/demo/keys/${id}`, { key: tess }))).toBe('SB_ERR_NOT_FOUND')

      // The audit log knows the key was made and revoked, but not the key.
      const exported = await admin.get('/tenants/demo/audit/export', { key: tess })
      expect(exported.text).toContain(`key:${id}`)
      expect(exported.text).not.toContain(key.split('_').at(-1))
      expect(exported.text).not.toContain(hash)
    })

    it('does not let a tenant admin mint a platform-admin key, and says so in the audit log', async () => {
      const before = (await admin.get('/tenants/demo/keys', { key: tess })).body.keys.length
      const res = await admin.post('/tenants/demo/keys', { key: tess, body: { name: 'escalate', role: 'platform-admin' } })
      expect({ status: res.status, code: errorCode(res) }).toEqual({ status: 403, code: 'SB_ERR_FORBIDDEN' })
      expect((await admin.get('/tenants/demo/keys', { key: tess })).body.keys).toHaveLength(before)
      const { body } = await admin.get(`/tenants/demo/audit?action=key.create&actor=${w.keys.demo['tenant-admin'].id}&outcome=denied`, { key: tess })
      expect(body.entries).toHaveLength(1)
    })

    it('answers a request no key can satisfy with 400 naming the field, audited as invalid', async () => {
      const res = await admin.post('/tenants/_platform/keys', { key: pat, body: { name: 'platform viewer', role: 'viewer' } })
      expect({ status: res.status, code: errorCode(res), path: res.body.error.path }).toEqual({ status: 400, code: 'SB_ERR_BODY_INVALID', path: 'body.role' })
      const { body } = await admin.get(`/tenants/_platform/audit?action=key.create&outcome=invalid`, { key: pat })
      expect(body.entries.at(-1)).toMatchObject({ requestId: res.headers.get('x-request-id'), details: { error: 'SB_ERR_BODY_INVALID' } })
    })

    it('cannot revoke another tenant’s key through its own tenant', async () => {
      const globexKey = w.keys.globex.viewer
      expect(errorCode(await admin.delete(`/tenants/demo/keys/${globexKey.id}`, { key: tess }))).toBe('SB_ERR_NOT_FOUND')
      expect(errorCode(await admin.delete(`/tenants/globex/keys/${globexKey.id}`, { key: tess }))).toBe('SB_ERR_NOT_FOUND')
      expect((await admin.get('/tenants/globex', { key: globexKey.key })).status).toBe(200)
    })
  })

  describe('tenants', () => {
    it('lists only the tenants the principal may see', async () => {
      const ids = async (key: string) => (await admin.get('/tenants', { key })).body.tenants.map((t: { id: string }) => t.id)
      expect(await ids(tess)).toEqual(['demo'])
      expect(await ids(w.keys.globex.viewer.key)).toEqual(['globex'])
      expect(await ids(pat)).toEqual(expect.arrayContaining(['demo', 'globex']))
      // Asking for a tenant that is not yours looks exactly like asking for one that does not exist.
      const probe = await admin.get('/tenants/globex', { key: tess })
      const missing = await admin.get('/tenants/no-such-tenant', { key: tess })
      expect([probe.status, probe.body]).toEqual([missing.status, missing.body])
    })

    it('adds a tenant that customers can chat with straight away, then removes it', async () => {
      const added = await admin.post('/tenants', { key: pat, body: tenantDocument('acme', 'Acme is open from 8 to 8.') })
      expect(added.status).toBe(201)
      expect(added.body).toEqual({ tenant: 'acme', outcome: 'started', problems: [] })
      expect(existsSync(join(w.configDir, 'tenants', 'acme.yaml'))).toBe(true)
      expect((await chat(w.gw, 'acme', ['When are you open?'])).answers).toEqual(['Acme is open from 8 to 8.'])
      expect((await admin.get('/tenants/acme', { key: pat })).body).toMatchObject({ id: 'acme', name: 'acme Inc.', channels: ['web'], plugins: ['faq'] })
      expect(errorCode(await admin.post('/tenants', { key: pat, body: tenantDocument('acme') }))).toBe('SB_ERR_CONFLICT')

      const removed = await admin.delete('/tenants/acme', { key: pat })
      expect(removed.body).toEqual({ tenant: 'acme', outcome: 'stopped', problems: [] })
      expect(errorCode(await admin.get('/tenants/acme', { key: pat }))).toBe('SB_ERR_NOT_FOUND')
      expect(errorCode(await admin.delete('/tenants/acme', { key: pat }))).toBe('SB_ERR_NOT_FOUND')
      expect((await admin.get('/tenants', { key: pat })).body.tenants.map((t: { id: string }) => t.id)).not.toContain('acme')
      await expect(new ChatClient(w.gw.wsUrl('acme')).open()).rejects.toMatchObject({ status: 404 })
      expect(existsSync(join(w.configDir, 'tenants', 'acme.yaml'))).toBe(false)

      // The configuration is gone; the evidence is not: the removed tenant's audit log still reads and verifies.
      const history = await admin.get('/tenants/acme/audit', { key: pat })
      expect(history.status).toBe(200)
      expect(history.body.entries.map((e: { action: string; outcome: string }) => `${e.action} ${e.outcome}`)).toContain('config.reload success')
      expect((await admin.get('/tenants/acme/audit/verify', { key: pat })).body).toMatchObject({ tenant: 'acme', ok: true })
    })

    it('refuses an invalid tenant document with the path of every problem, writing and starting nothing', async () => {
      const document = { ...tenantDocument('broken-co'), channels: [{ id: 'web', type: 'carrier-pigeon' }], plugins: [{ id: 'faq', type: 'rules', config: { rules: 'all of them' } }] }
      const res = await admin.post('/tenants', { key: pat, body: document })
      expect({ status: res.status, code: errorCode(res) }).toEqual({ status: 422, code: 'SB_ERR_TENANT_CONFIG_REJECTED' })
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['channels[0].type', 'plugins[0].config.rules'])

      // A document that does not even have the shape of one is a bad request, also with its paths.
      const shapeless = await admin.post('/tenants', { key: pat, body: { id: 'Not A Slug', channels: 'web', colour: 'blue' } })
      expect(shapeless.status).toBe(400)
      expect(shapeless.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.channels', 'body.colour', 'body.id'])

      expect(errorCode(await admin.get('/tenants/broken-co', { key: pat }))).toBe('SB_ERR_NOT_FOUND')
      expect(w.gw.gateway.tenants.ids.sort()).toEqual(['demo', 'globex'])
      expect((await readdir(join(w.configDir, 'tenants'))).filter((f) => !f.includes('.removed-')).sort()).toEqual(['demo.yaml', 'globex.yaml'])
      await expect(new ChatClient(w.gw.wsUrl('broken-co')).open()).rejects.toMatchObject({ status: 404 })
      const { body } = await admin.get('/tenants/broken-co/audit', { key: pat })
      expect(body?.error?.code).toBe('SB_ERR_NOT_FOUND')
    })

    it('keeps serving the old configuration when a reload finds an invalid file', async () => {
      expect((await admin.post('/tenants', { key: pat, body: tenantDocument('initech', 'Initech opens at nine.') })).status).toBe(201)
      const file = join(w.configDir, 'tenants', 'initech.yaml')
      const good = await readFile(file, 'utf8')
      await writeFile(file, `${good}\nlimits:\n  messagesPerMinute: -5\n`)

      const res = await admin.post('/tenants/initech/reload', { key: pat })
      expect({ status: res.status, code: errorCode(res) }).toEqual({ status: 422, code: 'SB_ERR_TENANT_CONFIG_REJECTED' })
      expect(res.body.error.path).toBe('tenants/initech.yaml: limits.messagesPerMinute')
      expect((await chat(w.gw, 'initech', ['When are you open?'])).answers).toEqual(['Initech opens at nine.'])
      const status = await admin.get('/tenants/initech/status', { key: pat })
      expect(status.body).toMatchObject({ state: 'running', lastRejectedChange: { problems: [expect.objectContaining({ path: 'limits.messagesPerMinute' })] } })

      await writeFile(file, good.replace('Initech opens at nine.', 'Initech opens at ten.'))
      expect((await admin.post('/tenants/initech/reload', { key: pat })).body).toEqual({ tenant: 'initech', outcome: 'reloaded', problems: [] })
      expect((await chat(w.gw, 'initech', ['When are you open?'])).answers).toEqual(['Initech opens at ten.'])
      expect((await admin.get('/tenants/initech/status', { key: pat })).body.lastRejectedChange).toBeNull()
      expect((await admin.delete('/tenants/initech', { key: pat })).status).toBe(200)
    })
  })

  describe('conversations', () => {
    let alice: Awaited<ReturnType<typeof chat>>
    let bob: Awaited<ReturnType<typeof chat>>
    let carol: Awaited<ReturnType<typeof chat>>
    let startedAt: Date
    const search = async (query: string, key = tess) => {
      const res = await admin.get(`/tenants/demo/conversations?${query}`, { key })
      expect(res.status, res.text).toBe(200)
      return (res.body.conversations as { id: string }[]).map((c) => c.id)
    }

    beforeAll(async () => {
      startedAt = new Date(Date.now() - 1000)
      alice = await chat(w.gw, 'demo', ['What are your opening hours?', 'How do I get a refund?'], 'Alice Liddell')
      bob = await chat(w.gw, 'demo', ['How long does shipping take?', 'I am 100% sure_thing it is lost'])
      carol = await chat(w.gw, 'globex', ['When are you open? I want a refund'], 'Carol of Globex')
    })

    it('finds conversations by what was said, literally and case-insensitively', async () => {
      expect(await search('q=REFUND')).toEqual([alice.conversationId])
      expect(await search(`q=${encodeURIComponent('100%')}`)).toEqual([bob.conversationId])
      // % and _ are characters, not wildcards.
      expect(await search('q=%25')).toEqual([bob.conversationId])
      expect(await search('q=_')).toEqual([bob.conversationId])
      expect(await search('q=shipping%20TAKE')).toEqual([bob.conversationId])
    })

    it('finds conversations by user (id or name) and by date', async () => {
      const record = (await admin.get(`/tenants/demo/conversations/${alice.conversationId}`, { key: tess })).body.conversation
      expect(await search(`user=${encodeURIComponent(record.userId)}`)).toEqual([alice.conversationId])
      expect(await search('user=Alice%20Liddell')).toEqual([alice.conversationId])
      expect(await search('user=Carol%20of%20Globex')).toEqual([])
      const since = await search(`from=${startedAt.toISOString()}`)
      expect(since).toEqual(expect.arrayContaining([alice.conversationId, bob.conversationId]))
      expect(since).not.toContain(carol.conversationId)
      expect(await search(`from=${new Date(Date.now() + 3_600_000).toISOString()}`)).toEqual([])
      expect(await search(`to=${encodeURIComponent('2001-01-01T00:00:00+01:00')}`)).toEqual([])
      expect(await search(`channel=websocket&from=${startedAt.toISOString()}&limit=1`)).toHaveLength(1)
    })

    it('shows one conversation with its transcript and what the bot made of each message', async () => {
      const { status, body } = await admin.get(`/tenants/demo/conversations/${alice.conversationId}`, { key: w.keys.demo.agent.key })
      expect(status).toBe(200)
      expect(body.conversation).toMatchObject({ id: alice.conversationId, userName: 'Alice Liddell', channel: 'websocket' })
      expect(body.messages.map((m: { direction: string; text: string }) => [m.direction, m.text])).toEqual([
        ['in', 'What are your opening hours?'],
        ['out', alice.answers[0]],
        ['in', 'How do I get a refund?'],
        ['out', alice.answers[1]],
      ])
      // The bot's reading of a message is kept on the message it read.
      expect(body.messages[0].annotations).toMatchObject({
        respondedBy: 'agent',
        intent: expect.any(String),
        sentiment: 'neutral',
        route: 'knowledge',
        provider: 'builtin',
        sources: [expect.objectContaining({ source: 'general.faq.yaml', title: 'General › Contact' })],
      })
      expect(body.messages[2].annotations).toMatchObject({ respondedBy: 'agent', intent: 'refund_request', grounded: true })
    })

    it('does not show another tenant’s conversation, whichever way it is asked for', async () => {
      expect(errorCode(await admin.get(`/tenants/demo/conversations/${carol.conversationId}`, { key: tess }))).toBe('SB_ERR_NOT_FOUND')
      expect(errorCode(await admin.get(`/tenants/globex/conversations/${carol.conversationId}`, { key: tess }))).toBe('SB_ERR_NOT_FOUND')
      expect(await search('q=refund', pat)).not.toContain(carol.conversationId)
      expect((await admin.get(`/tenants/globex/conversations/${carol.conversationId}`, { key: gina })).status).toBe(200)
    })

    it('exports transcripts as JSONL, and the export is audited', async () => {
      const res = await admin.get('/tenants/demo/exports/conversations.jsonl?q=refund', { key: tess })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="demo-conversations.jsonl"')
      expect(res.text.endsWith('\n')).toBe(true)
      expect(res.body.map((m: { conversationId: string; text: string }) => [m.conversationId, m.text])).toEqual([
        [alice.conversationId, 'What are your opening hours?'],
        [alice.conversationId, alice.answers[0]],
        [alice.conversationId, 'How do I get a refund?'],
        [alice.conversationId, alice.answers[1]],
      ])
      const { body } = await admin.get('/tenants/demo/audit?action=conversation.export', { key: tess })
      expect(body.entries.at(-1)).toMatchObject({
        actor: { type: 'key', id: w.keys.demo['tenant-admin'].id },
        outcome: 'success',
        requestId: res.headers.get('x-request-id'),
        details: { conversations: 1, filter: { q: 'refund' } },
      })
      expect(errorCode(await admin.get('/tenants/demo/exports/conversations.jsonl', { key: w.keys.demo.agent.key }))).toBe('SB_ERR_FORBIDDEN')
    })
  })

  describe('the audit log', () => {
    const aude = () => w.keys.demo.auditor.key

    it('answers queries with filters and pages', async () => {
      await admin.get('/tenants/demo/keys', { key: w.keys.demo.viewer.key }) // a denial to find
      const denied = await admin.get(`/tenants/demo/audit?outcome=denied&actor=${w.keys.demo.viewer.id}`, { key: aude() })
      expect(denied.body.entries.length).toBeGreaterThan(0)
      for (const e of denied.body.entries) expect(e).toMatchObject({ outcome: 'denied', actor: { id: w.keys.demo.viewer.id }, details: { permission: 'keys:read' } })

      const first = (await admin.get('/tenants/demo/audit?limit=3', { key: aude() })).body.entries
      const next = (await admin.get(`/tenants/demo/audit?limit=3&afterSeq=${first.at(-1).seq}`, { key: aude() })).body.entries
      expect([...first, ...next].map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
      const later = await admin.get(`/tenants/demo/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { key: aude() })
      expect(later.body.entries).toEqual([])
    })

    it('exports the whole chain as JSONL whose hashes link up, and verifies it', async () => {
      const res = await admin.get('/tenants/demo/audit/export', { key: aude() })
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
      const entries = res.body as AuditEntry[]
      expect(entries.map((e) => e.seq)).toEqual(entries.map((_e, i) => i + 1))
      expect(entries[0]!.prevHash).toBe('0'.repeat(64))
      entries.slice(1).forEach((e, i) => expect(e.prevHash).toBe(entries[i]!.hash))
      expect(new Set(entries.map((e) => e.tenant))).toEqual(new Set(['demo']))

      const verified = await admin.get('/tenants/demo/audit/verify', { key: aude() })
      expect(verified.body).toMatchObject({ tenant: 'demo', ok: true })
      expect(verified.body.entries).toBeGreaterThanOrEqual(entries.length)
      expect((await admin.get('/tenants/_platform/audit/verify', { key: pat })).body).toMatchObject({ tenant: '_platform', ok: true })
    })

    it('is not open to agents, nor to other tenants', async () => {
      expect(errorCode(await admin.get('/tenants/demo/audit', { key: w.keys.demo.agent.key }))).toBe('SB_ERR_FORBIDDEN')
      expect(errorCode(await admin.get('/tenants/globex/audit/export', { key: aude() }))).toBe('SB_ERR_NOT_FOUND')
      expect(errorCode(await admin.get('/tenants/_platform/audit', { key: aude() }))).toBe('SB_ERR_NOT_FOUND')
    })
  })

  describe('bad input', () => {
    const keyNames = async () => (await w.store.list('demo')).map((k) => `${k.id}:${k.name}:${k.revokedAt ? 'revoked' : 'active'}`).sort()
    const json = { 'content-type': 'application/json' }

    it('rejects broken key requests with the exact problem, and writes nothing', async () => {
      const before = await keyNames()
      const cases: [string, Parameters<AdminClient['post']>[1], number, string, string?][] = [
        ['malformed JSON', { rawBody: '{"name": "x", "role": ', headers: json }, 400, 'SB_ERR_BODY_INVALID', 'body'],
        ['an empty body', { rawBody: '', headers: json }, 400, 'SB_ERR_BODY_INVALID', 'body'],
        ['an array', { body: [{ name: 'x', role: 'viewer' }] }, 400, 'SB_ERR_BODY_INVALID', 'body'],
        ['null', { body: null }, 400, 'SB_ERR_BODY_INVALID', 'body'],
        ['an unknown field', { body: { name: 'x', role: 'viewer', admin: true } }, 400, 'SB_ERR_BODY_INVALID', 'body.admin'],
        ['a prototype key', { rawBody: '{"name":"x","role":"viewer","__proto__":{"role":"platform-admin"}}', headers: json }, 400, 'SB_ERR_BODY_INVALID', 'body.__proto__'],
        ['a number for a name', { body: { name: 42, role: 'viewer' } }, 400, 'SB_ERR_BODY_INVALID', 'body.name'],
        ['an operator object for a name', { body: { name: { $gt: '' }, role: 'viewer' } }, 400, 'SB_ERR_BODY_INVALID', 'body.name'],
        ['an unknown role', { body: { name: 'x', role: 'god' } }, 400, 'SB_ERR_BODY_INVALID', 'body.role'],
        ['a name with NUL', { body: { name: 'x\u0000y', role: 'viewer' } }, 400, 'SB_ERR_BODY_INVALID', 'body.name'],
        ['a blank name', { body: { name: '   ', role: 'viewer' } }, 400, 'SB_ERR_BODY_INVALID', 'body.name'],
        ['an expiry in the past', { body: { name: 'x', role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' } }, 400, 'SB_ERR_BODY_INVALID', 'body.expiresAt'],
        ['an expiry that is no date', { body: { name: 'x', role: 'viewer', expiresAt: 'tomorrow' } }, 400, 'SB_ERR_BODY_INVALID', 'body.expiresAt'],
        ['a body over the limit', { body: { name: 'x'.repeat(300_000), role: 'viewer' } }, 413, 'SB_ERR_BODY_TOO_LARGE'],
        ['text/plain', { rawBody: '{"name":"x","role":"viewer"}', headers: { 'content-type': 'text/plain' } }, 415, 'SB_ERR_UNSUPPORTED_MEDIA_TYPE'],
        ['a form', { rawBody: 'name=x&role=viewer', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'SB_ERR_UNSUPPORTED_MEDIA_TYPE'],
        ['no content type', { rawBody: '{"name":"x","role":"viewer"}' }, 415, 'SB_ERR_UNSUPPORTED_MEDIA_TYPE'],
      ]
      const answers = await Promise.all(cases.map(async ([label, options]) => [label, await admin.post('/tenants/demo/keys', { key: tess, ...options })] as const))
      const actual = Object.fromEntries(answers.map(([label, res]) => [label, [res.status, errorCode(res), res.body?.error?.path]]))
      const expected = Object.fromEntries(cases.map(([label, , status, code, path]) => [label, [status, code, path]]))
      expect(actual).toEqual(expected)
      expect(await keyNames()).toEqual(before)
    })

    it('stops reading a body sent in chunks once it passes the limit (413)', async () => {
      const before = await keyNames()
      const chunk = new TextEncoder().encode(`{"name":"${'x'.repeat(64 * 1024)}`)
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 8) controller.enqueue(chunk)
          else controller.close()
        },
      })
      const res = await fetch(`${w.gw.url}/admin/v1/tenants/demo/keys`, { method: 'POST', headers: { authorization: `Bearer ${tess}`, ...json }, body, duplex: 'half' } as RequestInit)
      expect(res.status).toBe(413)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SB_ERR_BODY_TOO_LARGE')
      // The unread rest of the body makes the connection unusable: it is closed, not handed to the next request.
      expect(res.headers.get('connection')).toBe('close')
      const next = await Promise.all(Array.from({ length: 10 }, () => admin.get('/tenants/demo', { key: tess, timeoutMs: 5000 })))
      expect(next.map((r) => r.status)).toEqual(Array(10).fill(200))
      expect(await keyNames()).toEqual(before)
    })

    it('treats injection strings in search parameters as plain text: clean results or 400, never 500', async () => {
      const nasty = [`' OR 1=1 --`, `'; DROP TABLE conversations; --`, '%', '_', '\\', '{"$gt":""}', '$where', '*', 'x\u0000y', '\u202e', '🙂']
      const probes = nasty.flatMap((s) => {
        const v = encodeURIComponent(s)
        return [
          `/tenants/demo/conversations?q=${v}`,
          `/tenants/demo/conversations?user=${v}`,
          `/tenants/demo/conversations?channel=${v}`,
          `/tenants/demo/exports/conversations.jsonl?q=${v}`,
          `/tenants/demo/audit?action=${v}`,
          `/tenants/demo/audit?actor=${v}`,
          `/tenants/demo/conversations/${v}`,
          `/tenants/${v}/conversations`,
        ]
      })
      const dates = ['0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '2024-02-30T00:00:00Z', '2024-01-01', 'yesterday', '1e9', `' OR 1=1 --`].flatMap((d) => [
        `/tenants/demo/conversations?from=${encodeURIComponent(d)}`,
        `/tenants/demo/conversations?to=${encodeURIComponent(d)}`,
        `/tenants/demo/audit?from=${encodeURIComponent(d)}`,
      ])
      const odd = ['limit=abc', 'limit=0', 'limit=1e9', 'limit=-1', 'q=a&q=b', 'colour=blue', '__proto__=x', 'q=' + 'x'.repeat(201)].map((q) => `/tenants/demo/conversations?${q}`)
      const answers = await Promise.all([...probes, ...dates, ...odd].map(async (path) => [path, await admin.get(path, { key: tess })] as const))
      const unclean = answers.filter(([, res]) => ![200, 400, 404].includes(res.status) || (res.status >= 400 && !errorCode(res)))
      expect(unclean.map(([path, res]) => `${path} → ${res.status} ${res.text.slice(0, 120)}`)).toEqual([])
      // Where a search ran, nothing matched: nobody said any of these.
      for (const [path, res] of answers) if (res.status === 200 && path.includes('/conversations?')) expect(res.body.conversations, path).toEqual(path.includes('q=%25') || path.includes('q=_') ? expect.any(Array) : [])
      for (const [path, res] of answers) if (res.status === 400) expect(res.body.error.path, path).toMatch(/^(query|params)\./)
      // Revoking by a nasty id revokes nothing.
      const keysBefore = await keyNames()
      for (const s of nasty) expect([400, 404]).toContain((await admin.delete(`/tenants/demo/keys/${encodeURIComponent(s)}`, { key: tess })).status)
      expect(await keyNames()).toEqual(keysBefore)
      // Dates the database cannot hold are refused by name, not failed on.
      expect((await admin.get('/tenants/demo/conversations?from=0000-01-01T00:00:00Z', { key: tess })).body.error).toMatchObject({ code: 'SB_ERR_BODY_INVALID', path: 'query.from' })
    })

    it('refuses unknown routes and methods without saying more', async () => {
      expect(errorCode(await admin.get('/nothing-here', { key: tess }))).toBe('SB_ERR_NOT_FOUND')
      expect(errorCode(await admin.request('PUT', '/tenants/demo', { key: tess, body: {} }))).toBe('SB_ERR_NOT_FOUND')
    })
  })

  describe('the OpenAPI document', () => {
    it('is OpenAPI 3.1 and describes every route with its parameters, bodies and answers', async () => {
      const res = await admin.get('/openapi.json')
      expect(res.status).toBe(200)
      const doc = res.body as {
        openapi: string
        info: { title: string; version: string }
        paths: Record<string, Record<string, any>>
        components: { securitySchemes: Record<string, unknown> }
        security: unknown[]
      }
      expect(doc.openapi).toMatch(/^3\.1\.\d+$/)
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) })
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
      expect(doc.security).toEqual([{ bearer: [] }])

      const routes = routesOf(w)
      const operationIds = new Set<string>()
      for (const route of routes) {
        const path = `/admin/v1${route.path.replace(/:(\w+)/g, '{$1}')}`
        const op = doc.paths[path]?.[route.method.toLowerCase()]
        expect(op, `${route.method} ${path}`).toBeDefined()
        expect(op.summary).toEqual(expect.any(String))
        expect(operationIds.has(op.operationId), `duplicate operationId ${op.operationId}`).toBe(false)
        operationIds.add(op.operationId)

        const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1])
        const queryParams = route.query ? Object.keys((route.query as z.ZodObject).shape) : []
        const params = op.parameters as { name: string; in: string; required: boolean; schema: { type?: string } }[]
        expect(params.filter((p) => p.in === 'path').map((p) => p.name).sort(), path).toEqual(pathParams.sort())
        expect(params.filter((p) => p.in === 'query').map((p) => p.name).sort(), path).toEqual(queryParams.sort())
        for (const p of params) expect(p.schema, `${path} ${p.name}`).toEqual(expect.objectContaining({ type: expect.stringMatching(/^(string|integer|number)$/) }))
        for (const p of params.filter((p) => p.in === 'path')) expect(p.required).toBe(true)

        if (route.body) {
          const schema = op.requestBody?.content?.['application/json']?.schema
          expect(op.requestBody.required).toBe(true)
          expect(Object.keys(schema.properties).sort()).toEqual(Object.keys((route.body as z.ZodObject).shape).sort())
          expect(schema.additionalProperties).toBe(false)
        } else {
          expect(op.requestBody, path).toBeUndefined()
        }
        const success = String(RULES[routeKey(route)]?.status ?? 200)
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining([success, '401', '403', '404', ...(route.body ? ['413', '415'] : [])]))
        if (route.produces === 'application/x-ndjson') expect(Object.keys(op.responses[success].content)).toEqual(['application/x-ndjson'])
      }
      expect(Object.values(doc.paths).flatMap((ops) => Object.keys(ops))).toHaveLength(routes.length)
      // The key request, as an example a client generator depends on.
      const keyBody = doc.paths['/admin/v1/tenants/{tenant}/keys']!.post.requestBody.content['application/json'].schema
      expect(keyBody.required.sort()).toEqual(['name', 'role'])
      expect(keyBody.properties.role.enum).toEqual([...ROLES])
    })
  })
})
