import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Tokens } from '../../core/di/tokens.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient } from '../harness/ws-client.js'
import { tempConfig, webchatTenant } from '../kit/tenants.js'

/** A tenant whose bot says `word` to every message; a different `title` changes its web-chat channel. */
const tenantFile = (id: string, word: string, title = 'Support') =>
  webchatTenant({ id, reply: word, pattern: 'msg-', websocket: { title, rateLimit: { frames: 1000, perSeconds: 1 } } })

const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

/**
 * Visitors who keep talking while an operator edits tenant files. A message is "answered" when a
 * bot reply arrives after its ack; a visitor whose socket is closed reconnects and resumes as
 * the widget does.
 */
class Visitor {
  readonly client: ChatClient
  sent = 0
  reconnects = 0
  readonly id: string
  #stopped = false
  #loop: Promise<void> | undefined

  constructor(url: string) {
    this.client = new ChatClient(url)
    this.id = `${Math.random()}`
  }

  start(): void {
    this.#loop = this.#run()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await this.#loop
  }

  async #run(): Promise<void> {
    await this.client.connect()
    while (!this.#stopped) {
      if (this.client.closeCode !== undefined) {
        this.reconnects++
        await this.client.connect()
        continue
      }
      // Like the widget: a message whose ack was cut off is sent again with the same client id
      // after reconnecting, and the gateway's inbox makes that harmless.
      const ack = await this.client.say(`msg-${this.sent + 1}`, `${this.id}#${this.sent + 1}`)
      if (ack.type === 'ack') this.sent++
      else if (ack.type !== '__closed') throw new Error(`refused: ${JSON.stringify(ack)}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }
}

describe('hot reload under live web-chat traffic', () => {
  let config: Awaited<ReturnType<typeof tempConfig>>
  let gw: TestGateway
  const write = (id: string, text: string) => config.write(id, text)

  beforeAll(async () => {
    config = await tempConfig({ acme: tenantFile('acme', 'one'), globex: tenantFile('globex', 'globex') })
    gw = await startTestGateway({ configDir: config.dir })
  })
  afterAll(async () => {
    await gw?.close()
    await config?.remove()
  })

  const auditOf = async (tenant: string) => gw.gateway.container.resolve(Tokens.Audit).query(tenant, { action: 'config.reload' })
  const replies = (v: Visitor) => v.client.messages.map((m) => m.text)

  it('swaps a pipeline change in without closing a socket, refuses a broken file, and restarts a changed channel with every message answered once', async () => {
    const acme = [1, 2, 3, 4].map(() => new Visitor(gw.wsUrl('acme')))
    const globex = [1, 2].map(() => new Visitor(gw.wsUrl('globex')))
    const everyone = [...acme, ...globex]
    for (const v of everyone) v.start()
    await until(() => everyone.every((v) => v.sent >= 3))

    // 1. The FAQ changes: the bot's answer changes, nobody is disconnected.
    await write('acme', tenantFile('acme', 'two'))
    await until(() => acme.every((v) => replies(v).includes('two')))
    expect(everyone.every((v) => v.reconnects === 0)).toBe(true)

    // 2. A broken file: the running configuration keeps answering, the problem is audited with its path.
    await write('acme', tenantFile('acme', 'two').replace('type: rules', 'type: no-such-plugin'))
    await until(async () => (await auditOf('acme')).some((e) => e.outcome === 'invalid'))
    const invalid = (await auditOf('acme')).find((e) => e.outcome === 'invalid')!
    expect(JSON.stringify(invalid.details)).toContain('plugins[0].type')
    const before = acme.map((v) => v.sent)
    await until(() => acme.every((v, i) => v.sent >= before[i]! + 2))
    expect(gw.gateway.tenant('acme')!.config.plugins[0]!.type).toBe('rules')

    // 3. The web-chat channel itself changes: acme visitors are told to reconnect and resume;
    //    globex, untouched, keeps its sockets.
    await write('acme', tenantFile('acme', 'three', 'New title'))
    await until(() => acme.every((v) => replies(v).includes('three')))
    await until(() => acme.every((v) => v.reconnects >= 1))
    expect(globex.every((v) => v.reconnects === 0)).toBe(true)

    for (const v of everyone) await v.stop()
    // Every acknowledged message got exactly one answer, none twice, none lost across the swaps.
    for (const v of everyone) {
      await until(() => v.client.messages.length >= v.sent)
      expect(v.client.messages).toHaveLength(v.sent)
      expect(v.client.duplicates).toHaveLength(0)
      const seqs = v.client.messages.map((m) => m.seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      v.client.close()
    }
    expect((await auditOf('acme')).map((e) => e.outcome)).toEqual(['success', 'invalid', 'success'])
    expect(await auditOf('globex')).toEqual([])
  })

  it('starts a tenant whose file appears and stops one whose file is removed', async () => {
    await write('initech', tenantFile('initech', 'hello from initech'))
    await until(() => gw.gateway.tenant('initech') !== undefined)
    const visitor = new ChatClient(gw.wsUrl('initech'))
    await visitor.connect()
    await visitor.say('msg-1')
    expect((await visitor.reply()).text).toBe('hello from initech')
    await rm(join(config.dir, 'tenants', 'initech.yaml'))
    await until(() => gw.gateway.tenant('initech') === undefined)
    expect(await visitor.closed()).toBeGreaterThan(0)
    await expect(new ChatClient(gw.wsUrl('initech')).open()).rejects.toMatchObject({ status: 404 })
  })
})
