import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { switchboard } from '../harness/cli.js'
import { repoConfigDir } from '../harness/gateway.js'
import { tempConfig, webchatTenant } from '../kit/tenants.js'

const devSet = new URL('../fixtures/eval/dev.jsonl', import.meta.url).pathname
let scratch: string
let env: Record<string, string>

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sb-cli-agent-'))
  env = { SWITCHBOARD_DATA_DIR: join(scratch, 'data') }
})
afterAll(() => rm(scratch, { recursive: true, force: true }))

describe('switchboard eval', () => {
  it('scores the demo tenant’s classifiers on the labelled development set', async () => {
    const run = await switchboard(['eval', '--tenant', 'demo', '--config', repoConfigDir, devSet], env)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^intent \(n=\d+, accuracy/m)
    expect(run.stdout).toMatch(/^ {2}technical_support +\d+ +\d+ +[\d.]+% +[\d.]+%/m)
    expect(run.stdout).toMatch(/^sentiment \(n=\d+/m)
    const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!)
    expect(last.n).toBeGreaterThanOrEqual(300)
    expect(last.intentAccuracy).toBeGreaterThanOrEqual(0.95)
    expect(last.sentimentAccuracy).toBeGreaterThanOrEqual(0.9)
  })

  it('names every bad line of a hand-written file, and changes nothing', async () => {
    const file = join(scratch, 'mine.jsonl')
    await writeFile(file, ['{"text": "hello", "intent": "greeting"}', '{"text": "oops"', '{"intent": "billing"}', '{"text": "no label"}', ''].join('\n'))
    const run = await switchboard(['eval', '--tenant', 'demo', '--config', repoConfigDir, file], env)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('has 3 bad lines')
    expect(run.stderr).toMatch(/mine\.jsonl:2: not valid JSON/)
    expect(run.stderr).toMatch(/mine\.jsonl:3: text: /)
    expect(run.stderr).toMatch(/mine\.jsonl:4: needs an "intent" or a "sentiment" label/)
  })

  it('explains a missing file, an unknown tenant, a tenant without classifiers and a missing flag', async () => {
    const missing = await switchboard(['eval', '--tenant', 'demo', '--config', repoConfigDir, join(scratch, 'nope.jsonl')], env)
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read') })
    const unknown = await switchboard(['eval', '--tenant', 'acme', '--config', repoConfigDir, devSet], env)
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('no tenant "acme"') })
    const rulesOnly = await tempConfig({ plain: webchatTenant({ id: 'plain' }) })
    try {
      const run = await switchboard(['eval', '--tenant', 'plain', '--config', rulesOnly.dir, devSet], env)
      expect(run).toMatchObject({ code: 1, stderr: expect.stringContaining('has no classifying plugins') })
    } finally {
      await rulesOnly.remove()
    }
    const noTenant = await switchboard(['eval', devSet], env)
    expect(noTenant).toMatchObject({ code: 2, stderr: expect.stringContaining('missing --tenant') })
  })
})

describe('switchboard kb ingest', () => {
  it('builds the tenant’s knowledge base, skips an unchanged folder, and rebuilds a changed one', async () => {
    const kbEnv = { SWITCHBOARD_DATA_DIR: join(scratch, 'kb-data') }
    const first = await switchboard(['kb', 'ingest', '--tenant', 'demo', '--config', repoConfigDir], kbEnv)
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^demo: ingested \d+ chunks from \d+ files/) })
    const again = await switchboard(['kb', 'ingest', '--tenant', 'demo', '--config', repoConfigDir], kbEnv)
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('already up to date') })

    const mine = join(scratch, 'my-articles')
    await cp(join(repoConfigDir, 'knowledge', 'demo'), mine, { recursive: true })
    await writeFile(join(mine, 'warranty.md'), '# Warranty\n\nEvery device has a 3-year warranty from the delivery date.\n')
    const changed = await switchboard(['kb', 'ingest', '--tenant', 'demo', '--config', repoConfigDir, mine], kbEnv)
    expect(changed.code).toBe(0)
    expect(changed.stdout).toMatch(/ingested \d+ chunks from 14 files/)
    expect(changed.stderr).toContain('the gateway ingests')
  })

  it('says what is wrong with a missing folder or a missing flag', async () => {
    const missing = await switchboard(['kb', 'ingest', '--tenant', 'demo', '--config', repoConfigDir, join(scratch, 'nowhere')], env)
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/knowledge folder .*nowhere does not exist/) })
    const noTenant = await switchboard(['kb', 'ingest'], env)
    expect(noTenant).toMatchObject({ code: 2, stderr: expect.stringContaining('missing --tenant') })
    const rulesOnly = await tempConfig({ plain: webchatTenant({ id: 'plain' }) })
    try {
      const run = await switchboard(['kb', 'ingest', '--tenant', 'plain', '--config', rulesOnly.dir], env)
      expect(run).toMatchObject({ code: 1, stderr: expect.stringContaining('has no knowledge plugin') })
    } finally {
      await rulesOnly.remove()
    }
  })
})
