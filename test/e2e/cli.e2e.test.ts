import { spawn } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatClient } from '../harness/ws-client.js'

const bin = new URL('../../bin/switchboard.js', import.meta.url).pathname
let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sb-cli-'))
})
afterAll(() => rm(scratch, { recursive: true, force: true }))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the real `switchboard` binary as an operator would. */
function switchboard(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, LOG_LEVEL: 'silent', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

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
    expect(run.stdout).toMatch(/demo: channels web \(websocket\); pipeline faq \(rules\)/)
  })

  it('lists every mistake with its file and path, without a stack trace, and fails', async () => {
    const run = await switchboard(['config', 'check', await configFolder('five', fiveMistakes)])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/has 5 problems:/)
    for (const line of [
      'tenants/demo.yaml: channels[0].config.allowedOrigins[1]: Invalid URL',
      'tenants/demo.yaml: channels[0].config.sessionTtlSeconds: Too small: expected number to be >=60',
      'tenants/demo.yaml: channels[1].type: unknown channel type "telegrm" (known: websocket)',
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
