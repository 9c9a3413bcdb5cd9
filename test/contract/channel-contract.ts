import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import type { InboundActivity } from '../../core/index.js'
import { freshPostgres, type TestDatabase } from '../databases.js'
import { freePort, startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.js'
import { startTestGateway } from '../harness/gateway.js'
import { tempConfig } from '../kit/tenants.js'
import { metricValue, waitUntil } from './wait.js'

/** A recorded platform payload and what the channel must make of it (`null`: acknowledged and ignored). */
export interface NormalisationCase {
  name: string
  raw: unknown
  expected: Partial<Omit<InboundActivity, 'conversation' | 'from'>> & { from?: Partial<InboundActivity['from']> } | null
}

/** Where the gateway the kit started listens, for a fake that must call it or register with it. */
export interface GatewayAddress {
  url: string
  tenant: string
  instance: string
}

/** A message as the platform would deliver it; delivering the same one again is a redelivery. */
export interface PlatformMessage {
  user: string
  text: string
  /** The platform's own id of the message, for fixtures that need it. */
  id: string
}

export type Credentials = 'valid' | 'missing' | 'forged'

/**
 * One platform, played by its fake, as the kit needs it. Users are plain names; the fake maps
 * them to chats, threads or visitors of its own.
 */
export interface ContractPlatform {
  /** The tenant's channel entry config, pointing the channel at this fake. */
  channelConfig(gateway: GatewayAddress): Record<string, unknown>
  /** Called once the gateway (re)started, e.g. to reconnect a web-chat visitor. */
  connected?(gateway: GatewayAddress): Promise<void>
  message(user: string, text: string): PlatformMessage
  /** Delivers a message like the platform does; `accepted` means the platform got a success answer. */
  deliver(message: PlatformMessage, credentials?: Credentials): Promise<{ accepted: boolean; status: number | string }>
  /** The texts `user` has seen, in the order they arrived. */
  received(user: string): string[]
  /** The next send to `user` is answered with 429 and Retry-After `seconds` (or the platform's equivalent). */
  throttleNextSend(user: string, seconds: number): void
  /** When the throttled send was refused and when its retry arrived, in ms since the epoch. */
  throttleTimes(user: string): { refusedAt: number; retriedAt: number } | undefined
  /** The next send to `user` never arrives: it is held until release() and then dropped unrecorded. */
  holdNextSend(user: string): void
  /** Resolves once a held send is waiting (the reply was persisted and its send began). */
  held(user: string): Promise<void>
  release(): void
  /** Connections the gateway still holds open to the fake (0 once the channel has stopped). */
  openConnections(): Promise<number>
  close(): Promise<void>
}

export interface ChannelContractSubject {
  /** The channel type, as tenants write it. */
  type: string
  /** Statuses a refused credential may get (HTTP 401/403 for webhooks). */
  rejectedStatuses: readonly (number | string)[]
  /** Longest text one platform message may carry, in the unit `measure` counts. */
  maxTextLength: number
  measure(text: string): number
  fixtures: readonly NormalisationCase[]
  /** The channel's pure decode of a platform payload; undefined when it is ignored. */
  normalise(raw: unknown): InboundActivity | undefined | Promise<InboundActivity | undefined>
  platform(): Promise<ContractPlatform>
}

const TENANT = 'contract'
const INSTANCE = 'chan'
/** Paragraphs of numbered sentences: splitting must keep every one, in order. */
const LONG_REPLY = (limit: number) =>
  Array.from({ length: Math.ceil((limit * 2.5) / 400) }, (_, p) =>
    Array.from({ length: 6 }, (_, s) => `Paragraph ${p + 1} sentence ${s + 1} says something worth keeping, with 🙂 and 中文 in it.`).join(' '),
  ).join('\n\n')

function tenantFile(subject: ChannelContractSubject, channelConfig: Record<string, unknown>, withChannel = true): string {
  return stringify({
    id: TENANT,
    channels: withChannel ? [{ id: INSTANCE, type: subject.type, config: channelConfig }] : [],
    plugins: [
      {
        id: 'rules',
        type: 'rules',
        config: {
          rules: [
            { id: 'long', pattern: '^long$', reply: LONG_REPLY(subject.maxTextLength) },
            { id: 'echo', pattern: '^([\\s\\S]*)$', reply: 'echo: $1' },
          ],
        },
      },
    ],
  })
}

const normaliseSpace = (text: string) => text.replace(/\s+/g, ' ').trim()

/**
 * The conformance suite every channel passes: normalisation of recorded payloads, refused
 * credentials, redelivery, the platform's 429, long replies, a kill between persisting a reply and
 * sending it, and a clean stop. The gateway runs as operators run it (its own process, on
 * PostgreSQL), so "killed" means SIGKILL.
 */
export function describeChannelContract(subject: ChannelContractSubject): void {
  describe(`channel contract: ${subject.type}`, () => {
    describe('1. recorded payloads normalise to the expected activity', () => {
      it.each(subject.fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
        const activity = await subject.normalise(fixture.raw)
        if (fixture.expected === null) expect(activity).toBeUndefined()
        else expect(activity).toMatchObject(fixture.expected)
      })
    })

    describe('against its fake platform, through a gateway process', () => {
      let database: TestDatabase
      let platform: ContractPlatform
      let gateway: GatewayProcess
      let address: GatewayAddress
      let config: Awaited<ReturnType<typeof tempConfig>>

      beforeAll(async () => {
        database = await freshPostgres()
        platform = await subject.platform()
        const port = await freePort()
        address = { url: `http://127.0.0.1:${port}`, tenant: TENANT, instance: INSTANCE }
        config = await tempConfig({ [TENANT]: tenantFile(subject, platform.channelConfig(address)) })
        gateway = await startGatewayProcess({ configDir: config.dir, databaseUrl: database.url!, port })
        await platform.connected?.(address)
      }, 60_000)

      afterAll(async () => {
        await gateway?.close()
        await platform?.close()
        await config?.remove()
        await database?.drop()
      })

      const metrics = () => fetch(`${gateway.url}/metrics`).then((r) => r.text())
      const repliesTo = async (user: string, count: number) => {
        await waitUntil(() => platform.received(user).length >= count, `${user} to receive ${count} replies, got ${JSON.stringify(platform.received(user))}`)
        return platform.received(user)
      }

      afterEach((context) => {
        if (context.task.result?.state === 'fail') context.task.result.errors?.push({ message: `gateway output:\n${gateway.output().slice(-4000)}` } as never)
      })

      it('2. refuses a missing or forged credential before the pipeline sees it, and counts it', async () => {
        const acceptedBefore = metricValue(await metrics(), 'switchboard_messages_total', { tenant: TENANT, direction: 'in', outcome: 'accepted' })
        for (const credentials of ['missing', 'forged'] as const) {
          const outcome = await platform.deliver(platform.message('mallory', `sneaky ${credentials}`), credentials)
          expect(outcome.accepted).toBe(false)
          expect(subject.rejectedStatuses).toContain(outcome.status)
        }
        // A genuine message afterwards is answered; the refused ones never were.
        await platform.deliver(platform.message('mallory', 'genuine'))
        expect(await repliesTo('mallory', 1)).toEqual(['echo: genuine'])
        const after = await metrics()
        expect(metricValue(after, 'switchboard_messages_total', { tenant: TENANT, direction: 'in', outcome: 'accepted' }) - acceptedBefore).toBe(1)
        expect(metricValue(after, 'switchboard_channel_requests_rejected_total', { tenant: TENANT })).toBeGreaterThanOrEqual(2)
      })

      it('3. a message delivered three times, one after another or all at once, is answered once', async () => {
        const first = platform.message('ann', 'first')
        for (let i = 0; i < 3; i++) expect((await platform.deliver(first)).accepted).toBe(true)
        const second = platform.message('ann', 'second')
        const outcomes = await Promise.all([platform.deliver(second), platform.deliver(second), platform.deliver(second)])
        expect(outcomes.every((o) => o.accepted)).toBe(true)
        await platform.deliver(platform.message('ann', 'third'))
        expect(await repliesTo('ann', 3)).toEqual(['echo: first', 'echo: second', 'echo: third'])
        expect(metricValue(await metrics(), 'switchboard_inbox_duplicates_total', { tenant: TENANT })).toBeGreaterThanOrEqual(4)
      })

      it('4. a 429 with Retry-After: the reply is delivered after the wait, in order, once', async () => {
        platform.throttleNextSend('bob', 1)
        await platform.deliver(platform.message('bob', 'one'))
        await platform.deliver(platform.message('bob', 'two'))
        expect(await repliesTo('bob', 2)).toEqual(['echo: one', 'echo: two'])
        const times = platform.throttleTimes('bob')
        expect(times, 'the fake refused a send with 429').toBeDefined()
        expect(times!.retriedAt - times!.refusedAt).toBeGreaterThanOrEqual(1000 - 50)
        await platform.deliver(platform.message('bob', 'three'))
        expect(await repliesTo('bob', 3)).toEqual(['echo: one', 'echo: two', 'echo: three'])
      })

      it('5. a reply longer than the channel limit is split in order, nothing lost', async () => {
        await platform.deliver(platform.message('cat', 'long'))
        const expected = LONG_REPLY(subject.maxTextLength)
        const minimum = Math.ceil(subject.measure(expected) / subject.maxTextLength)
        const chunks = await repliesTo('cat', minimum)
        await platform.deliver(platform.message('cat', 'after'))
        const all = await waitUntil(() => (platform.received('cat').at(-1) === 'echo: after' ? platform.received('cat') : undefined), 'the follow-up reply')
        const parts = all.slice(0, -1)
        expect(parts.length).toBeGreaterThanOrEqual(minimum)
        for (const part of parts) expect(subject.measure(part)).toBeLessThanOrEqual(subject.maxTextLength)
        expect(normaliseSpace(parts.join(' '))).toBe(normaliseSpace(expected))
        expect(chunks.length).toBeGreaterThan(1)
      })

      it('6. killed between persisting a reply and sending it, the gateway sends it exactly once on restart', async () => {
        platform.holdNextSend('dan')
        await platform.deliver(platform.message('dan', 'before the crash'))
        await platform.held('dan')
        await gateway.kill()
        platform.release()
        expect(platform.received('dan')).toEqual([])
        await gateway.start()
        await platform.connected?.(address)
        expect(await repliesTo('dan', 1)).toEqual(['echo: before the crash'])
        await platform.deliver(platform.message('dan', 'after the restart'))
        expect(await repliesTo('dan', 2)).toEqual(['echo: before the crash', 'echo: after the restart'])
      }, 60_000)
    })

    it('7. stopped, the channel leaves no routes, timers or sockets behind', async () => {
      const platform = await subject.platform()
      // The tenant starts without the channel; the port (and so the address) is known only once it listens.
      const config = await tempConfig({ [TENANT]: tenantFile(subject, {}, false) })
      const gw = await startTestGateway({ configDir: config.dir })
      const address = { url: gw.url, tenant: TENANT, instance: INSTANCE }
      const tenantPath = join(config.dir, 'tenants', `${TENANT}.yaml`)
      const reload = async (text: string) => {
        await writeFile(tenantPath, text)
        await gw.gateway.tenants.reload(TENANT)
        expect(gw.gateway.tenants.ids).toContain(TENANT)
      }
      try {
        const baseline = activeHandles()
        await reload(tenantFile(subject, platform.channelConfig(address)))
        await platform.connected?.(address)
        await platform.deliver(platform.message('eve', 'hello'))
        expect(await waitUntil(() => (platform.received('eve').length > 0 ? platform.received('eve') : undefined), 'a reply')).toEqual(['echo: hello'])
        await reload(tenantFile(subject, platform.channelConfig(address), false))
        const refused = await platform.deliver(platform.message('eve', 'anyone there?'))
        expect(refused.accepted).toBe(false)
        await waitUntil(async () => (await platform.openConnections()) === 0 || undefined, 'the channel to close its connections to the platform')
        await waitUntil(() => sameHandles(baseline, activeHandles()) || undefined, `timers and sockets back to ${JSON.stringify(baseline)}, now ${JSON.stringify(activeHandles())}`)
      } finally {
        await gw.close()
        await platform.close()
        await config.remove()
      }
    }, 60_000)
  })
}

/**
 * Timers alive in this process. Sockets are counted by the fake (connections the gateway holds to
 * it), since the fake's own delivering connections live in this process too.
 */
function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) if (kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

const sameHandles = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys({ ...a, ...b }).every((kind) => (b[kind] ?? 0) <= (a[kind] ?? 0))

/** What every platform fake offers for the kit's crash and leak cases. */
export interface ContractFake {
  releaseHeld(): void
  openConnections(): number
  close(): Promise<void>
}

/** The part of a ContractPlatform that only hands over to the fake. */
export abstract class FakePlatform<F extends ContractFake> {
  constructor(protected readonly fake: F) {}

  release(): void {
    this.fake.releaseHeld()
  }

  async openConnections(): Promise<number> {
    return this.fake.openConnections()
  }

  close(): Promise<void> {
    return this.fake.close()
  }
}
