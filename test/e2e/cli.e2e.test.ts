import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeyStore } from '../../core/admin/auth/api-keys.js'
import { systemClock } from '../../core/clock.js'
import type { Database } from '../../core/store/database.js'
import { openDatabase } from '../../core/store/open.js'
import { acquirePgliteLock, PGLITE_LOCK_FILE } from '../../core/store/pglite-lock.js'
import { freshPostgres, type TestDatabase } from '../databases.js'
import { switchboard, switchboardBin as bin } from '../harness/cli.js'
import { ChatClient } from '../harness/ws-client.js'

let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sb-cli-'))
})
afterAll(() => rm(scratch, { recursive: true, force: true }))

async function configFolder(name: string, tenant: string): Promise<string> {
  const dir = join(scratch, name)
  await mkdir(join(dir, 'tenants'), { recursive: true })
  await writeFile(join(dir, 'tenants', 'demo.yaml'), tenant)
  return dir
}

const fiveMistakes = `id: demo
channels:
  - id: web
    type: websocket
    config:
      allowedOrigins: [https://shop.example, not a url]
      sessionTtlSeconds: 5
  - id: tg
    type: telegrm
plugins:
  - id: faq
    type: rules
    config:
      minScore: 7
      faq:
        - question: Opening hours?
`

describe('switchboard config check', () => {
  it('approves the shipped configuration and describes it', async () => {
    const run = await switchboard(['config', 'check', 'config'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toMatch(/ok — 1 tenant/)
    expect(run.stdout).toMatch(/demo: channels web \(websocket\); pipeline customers \(customers\) → handoff \(handoff\) → ticketing \(ticketing\) → intent \(intent\) → sentiment \(sentiment\) → kb \(knowledge\) → agent \(agent\)/)
  })

  it('lists every mistake with its file and path, without a stack trace, and fails', async () => {
    const run = await switchboard(['config', 'check', await configFolder('five', fiveMistakes)])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/has 5 problems:/)
    for (const line of [
      'tenants/demo.yaml: channels[0].config.allowedOrigins[1]: Invalid URL',
      'tenants/demo.yaml: channels[0].config.sessionTtlSeconds: Too small: expected number to be >=60',
      'tenants/demo.yaml: channels[1].type: unknown channel type "telegrm" (known: teams, telegram, voice, websocket, wechat)',
      'tenants/demo.yaml: plugins[0].config.faq[0].answer: Invalid input',
      'tenants/demo.yaml: plugins[0].config.minScore: Too big: expected number to be <=1',
    ]) {
      expect(run.stderr).toContain(line)
    }
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('explains an unknown command', async () => {
    const run = await switchboard(['frobnicate'])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/unknown command "frobnicate"[\s\S]*Usage: switchboard/)
  })
})

describe('switchboard start', () => {
  it('refuses to start on an invalid configuration, saying why', async () => {
    const run = await switchboard(['start', '--config', await configFolder('bad', fiveMistakes)], { SWITCHBOARD_DATA_DIR: join(scratch, 'data-bad') })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/configuration in .* has 5 problems:/)
    expect(run.stderr).toContain('tenants/demo.yaml: channels[0].config.allowedOrigins[1]: Invalid URL')
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('serves until SIGTERM, then says goodbye to sockets with a resume hint and exits cleanly', async () => {
    const child = spawn(process.execPath, [bin, 'start'], {
      env: { ...process.env, LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', SWITCHBOARD_DATA_DIR: join(scratch, 'data-run') },
    })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 20 s: ${stdout}`)), 20_000)
      child.stdout.on('data', () => {
        const match = /running at (http:\/\/\S+)\n.*web chat for tenant demo/.exec(stdout)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
    })
    expect(stdout).toMatch(/web chat for tenant demo: http:\/\/127\.0\.0\.1:\d+\/t\/demo\/chat/)
    const visitor = new ChatClient(`${url.replace('http', 'ws')}/t/demo/ws`)
    await visitor.connect()
    await visitor.say('What are your opening hours?')
    expect((await visitor.reply()).text).toMatch(/Monday/)

    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    const goodbye = visitor.next((f) => f.type === 'goodbye')
    child.kill('SIGTERM')
    expect(await goodbye).toMatchObject({ reason: 'shutdown', retry_after_ms: expect.any(Number) })
    expect(await visitor.closed()).toBe(1001)
    expect(await exited).toBe(0)
    expect(stdout).toMatch(/SIGTERM received/)
  })
})

const KEY = /^sb_[a-z2-7]{10}_[A-Za-z0-9_-]{43}$/
/** The shipped config folder (tenant demo) on a data folder of the test's own, never $DATABASE_URL. */
const onData = (dataDir: string) => ({ SWITCHBOARD_DATA_DIR: dataDir, DATABASE_URL: '' })

/** `switchboard start` in a child process, until `stop()`. */
async function runningGateway(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, 'start'], { env: { ...process.env, LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', ...env } })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 20 s: ${stdout}${stderr}`)), 20_000)
    child.on('close', () => reject(new Error(`the gateway exited: ${stdout}${stderr}`)))
    child.stdout.on('data', (d) => {
      stdout += d
      const match = /running at (http:\/\/\S+)\n/.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
  return {
    url,
    stop: () => {
      child.kill('SIGTERM')
      return exited
    },
  }
}

/** What an owner who switched the append-only triggers off could do to a stored entry. */
async function alterAuditEntry(db: Database, tenant: string, seq: number) {
  await db.owner.exec('ALTER TABLE audit_log DISABLE TRIGGER USER')
  try {
    await db.owner.query(`UPDATE audit_log SET details = details || '{"role": "platform-admin"}' WHERE tenant_id = $1 AND seq = $2`, [tenant, seq])
  } finally {
    await db.owner.exec('ALTER TABLE audit_log ENABLE TRIGGER USER')
  }
}

describe('switchboard keys, audit verify and the embedded database', () => {
  let dataDir: string
  beforeAll(() => {
    dataDir = join(scratch, 'data-keys')
  })

  it('creates keys that authenticate at the admin API, revokes them, and audits both', async () => {
    const admin = await switchboard(['keys', 'create', '--tenant', 'demo', '--role', 'tenant-admin', '--name', 'ops', '--config', 'config'], onData(dataDir))
    expect(admin).toMatchObject({ code: 0 })
    // The key alone on stdout (scripts capture it); what it is and the warning on stderr.
    const key = admin.stdout.trim()
    expect(admin.stdout).toBe(`${key}\n`)
    expect(key).toMatch(KEY)
    expect(admin.stderr).toMatch(/Created API key [a-z2-7]{10} "ops" for tenant demo: role tenant-admin, expires never\./)
    expect(admin.stderr).toMatch(/only time the key is shown/)

    const viewer = await switchboard(['keys', 'create', '--tenant', 'demo', '--role', 'viewer', '--expires', '2999-12-31'], onData(dataDir))
    const platform = await switchboard(['keys', 'create', '--platform', '--name', 'root'], onData(dataDir))
    expect(viewer).toMatchObject({ code: 0 })
    expect(viewer.stderr).toMatch(/role viewer, expires 2999-12-31T00:00:00Z/)
    expect(platform).toMatchObject({ code: 0 })
    expect(platform.stderr).toMatch(/for the platform: role platform-admin/)

    const viewerId = /^sb_([a-z2-7]{10})_/.exec(viewer.stdout)![1]!
    const revoked = await switchboard(['keys', 'revoke', '--tenant', 'demo', viewerId], onData(dataDir))
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining(`Revoked API key ${viewerId}`) })
    const list = await switchboard(['keys', 'list', '--tenant', 'demo'], onData(dataDir))
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/tenant demo: 2 API keys/)
    expect(list.stdout).toMatch(/ID +NAME +ROLE +STATE +CREATED +EXPIRES +LAST USED +CREATED BY/)
    expect(list.stdout).toMatch(/ops +tenant-admin +active .* never +never +system:cli/)
    expect(list.stdout).toMatch(new RegExp(`${viewerId} +cli \\d{4}-\\d\\d-\\d\\d +viewer +revoked .* 2999-12-31T00:00:00Z`))
    expect(list.stdout).not.toContain('sb_')
    expect(existsSync(join(dataDir, PGLITE_LOCK_FILE))).toBe(false)

    const gateway = await runningGateway(onData(dataDir))
    try {
      const get = (path: string, k: string) => fetch(`${gateway.url}/admin/v1${path}`, { headers: { authorization: `Bearer ${k}` } })
      const asAdmin = await get('/tenants', key)
      expect(asAdmin.status).toBe(200)
      expect(((await asAdmin.json()) as { tenants: { id: string }[] }).tenants.map((t) => t.id)).toEqual(['demo'])
      expect((await get('/tenants', platform.stdout.trim())).status).toBe(200)
      expect((await get('/tenants', viewer.stdout.trim())).status).toBe(401)
      // The CLI's changes are in the tenant's audit log, with the CLI as the actor.
      const audit = await get('/tenants/demo/audit', key)
      expect(audit.status).toBe(200)
      const entries = ((await audit.json()) as { entries: { actor: unknown; action: string; target: string; details: Record<string, unknown> }[] }).entries
      const byCli = entries.filter((e) => (e.actor as { id: string }).id === 'cli')
      expect(byCli.map((e) => [e.action, e.actor, e.target])).toEqual([
        ['key.create', { type: 'system', id: 'cli' }, expect.stringMatching(/^key:[a-z2-7]{10}$/)],
        ['key.create', { type: 'system', id: 'cli' }, `key:${viewerId}`],
        ['key.revoke', { type: 'system', id: 'cli' }, `key:${viewerId}`],
      ])
      expect(byCli[0]!.details).toMatchObject({ name: 'ops', role: 'tenant-admin', expiresAt: null })
    } finally {
      expect(await gateway.stop()).toBe(0)
    }

    const verify = await switchboard(['audit', 'verify'], onData(dataDir))
    expect(verify).toMatchObject({ code: 0 })
    expect(verify.stdout).toMatch(/^_platform: ok, \d+ entries\ndemo: ok, \d+ entries\n$/)
    // Seven CLI processes and a gateway, each loading the sources through tsx: about 4 s apiece on 2 busy cores.
  }, 90_000)

  it('reports the first altered entry of a tampered chain and fails', async () => {
    const release = await acquirePgliteLock(dataDir)
    const db = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'pglite') })
    try {
      await alterAuditEntry(db, 'demo', 2)
    } finally {
      await db.close()
      await release()
    }
    const all = await switchboard(['audit', 'verify'], onData(dataDir))
    expect(all.code).toBe(1)
    expect(all.stdout).toMatch(/^_platform: ok, \d+ entries\ndemo: BROKEN at seq 2: hash mismatch: row altered\n$/)
    expect(all.stderr).toMatch(/the audit log of demo does not verify/)
    const one = await switchboard(['audit', 'verify', '--tenant', 'demo'], onData(dataDir))
    expect(one).toMatchObject({ code: 1, stdout: 'demo: BROKEN at seq 2: hash mismatch: row altered\n' })
  })

  it('refuses to open the folder while a gateway holds it, saying what to do instead', async () => {
    const release = await acquirePgliteLock(dataDir)
    try {
      for (const args of [
        ['keys', 'create', '--tenant', 'demo', '--role', 'agent'],
        ['audit', 'verify'],
      ]) {
        const run = await switchboard(args, onData(dataDir))
        expect(run.code).toBe(1)
        expect(run.stdout).toBe('')
        expect(run.stderr).toContain(
          `the embedded database in ${dataDir} is in use by process ${process.pid} (a running gateway); stop it, or use the admin API /admin/v1 while it runs`,
        )
        expect(run.stderr).not.toMatch(/\n\s+at /)
      }
    } finally {
      await release()
    }
    // A lock left behind by a process that died is taken over.
    await writeFile(join(dataDir, PGLITE_LOCK_FILE), `${JSON.stringify({ pid: 2 ** 31 - 2, startedAt: new Date(0).toISOString(), token: 'dead' })}\n`)
    expect(await switchboard(['keys', 'list', '--platform'], onData(dataDir))).toMatchObject({ code: 0, stdout: expect.stringMatching(/the platform: 1 API key/) })
    expect(existsSync(join(dataDir, PGLITE_LOCK_FILE))).toBe(false)
  })
})

describe('switchboard keys: mistakes on the command line', () => {
  it('names the flag at fault, without a stack trace, before touching any database', async () => {
    const dataDir = join(scratch, 'data-untouched')
    const cases: Array<[string[], number, RegExp]> = [
      [['keys', 'create', '--tenant', 'demo'], 2, /missing --role <role> \(one of: tenant-admin, agent, auditor, viewer\)/],
      [['keys', 'create', '--tenant', 'demo', '--role', 'admin'], 2, /--role: unknown role "admin" \(one of: platform-admin, tenant-admin, agent, auditor, viewer\)/],
      [['keys', 'create', '--tenant', 'demo', '--role', 'platform-admin'], 2, /--role platform-admin is for platform keys, not tenant demo: use --platform/],
      [['keys', 'create', '--tenant', 'demo', '--role', 'viewer', '--expires', 'tomorrow'], 2, /--expires: "tomorrow" is not an ISO 8601 date/],
      [['keys', 'create', '--tenat', 'demo', '--role', 'viewer'], 2, /unknown flag --tenat/],
      [['keys', 'create', '--tenant', 'acme', '--role', 'viewer'], 1, /--tenant: .*config has no tenant "acme" \(tenants\/acme\.yaml\); known: demo/],
    ]
    const runs = await Promise.all(cases.map(([args]) => switchboard(args, onData(dataDir))))
    runs.forEach((run, i) => {
      const [args, code, message] = cases[i]!
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code, stdout: '' })
      expect(run.stderr).toMatch(message)
      expect(run.stderr).not.toMatch(/\n\s+at /)
    })
    expect(runs[0]!.stderr).toMatch(/Usage:\n {2}switchboard keys create --tenant ID --role ROLE/)
    expect(existsSync(dataDir)).toBe(false)
  })
})

describe('switchboard tenants list', () => {
  it('lists every tenant file with its state, channels and pipeline, and succeeds though one is invalid', async () => {
    const dir = join(scratch, 'two-tenants')
    await cp('config', dir, { recursive: true })
    await writeFile(join(dir, 'tenants', 'shop.yaml'), fiveMistakes.replace('id: demo', 'id: shop'))
    const run = await switchboard(['tenants', 'list', '--config', dir])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toContain(`${dir}: 2 tenants, 1 invalid\n`)
    expect(run.stdout).toContain('  demo: valid ("Demo Shop"); channels web (websocket); pipeline customers (customers) → handoff (handoff) → ticketing (ticketing) → intent (intent) → sentiment (sentiment) → kb (knowledge) → agent (agent)\n')
    expect(run.stdout).toMatch(/ {2}shop: INVALID: channels\[0\]\.config\.allowedOrigins\[1\]: Invalid URL \(and 4 more problems\); channels web \(websocket\), tg \(telegrm\); pipeline faq \(rules\)\n/)
    expect(run.stdout).toMatch(/1 tenant is invalid \(shop\): `switchboard start` refuses this configuration until fixed; `switchboard config check .*two-tenants` lists every problem/)
  })

  it('fails when the config folder is missing', async () => {
    const run = await switchboard(['tenants', 'list', '--config', join(scratch, 'nowhere')])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/config folder .*nowhere does not exist/)
  })
})

describe('switchboard keys and audit verify on PostgreSQL', () => {
  let pg: TestDatabase
  beforeAll(async () => {
    pg = await freshPostgres()
  })
  afterAll(() => pg?.drop())

  it('creates a key in the DATABASE_URL database, verifies the chains, and finds an altered entry', async () => {
    const dataDir = join(scratch, 'data-unused')
    const env = { DATABASE_URL: pg.url!, SWITCHBOARD_DATA_DIR: dataDir }
    const created = await switchboard(['keys', 'create', '--tenant', 'demo', '--role', 'auditor'], env)
    expect(created).toMatchObject({ code: 0 })
    expect(created.stderr).toMatch(/database: PostgreSQL at postgres:\/\//)
    const key = created.stdout.trim()
    expect(key).toMatch(KEY)
    expect(await new ApiKeyStore(pg.db, systemClock).authenticate(key)).toMatchObject({ ok: true, principal: { tenant: 'demo', roles: ['auditor'] } })
    expect(await switchboard(['keys', 'create', '--platform'], env)).toMatchObject({ code: 0 })

    const ok = await switchboard(['audit', 'verify'], env)
    expect(ok).toMatchObject({ code: 0, stdout: '_platform: ok, 1 entry\ndemo: ok, 1 entry\n' })

    await alterAuditEntry(pg.db, 'demo', 1)
    const broken = await switchboard(['audit', 'verify'], env)
    expect(broken).toMatchObject({ code: 1, stdout: '_platform: ok, 1 entry\ndemo: BROKEN at seq 1: hash mismatch: row altered\n' })
    expect(existsSync(dataDir)).toBe(false)
  })
})
