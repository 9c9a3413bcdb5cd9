import { EventEmitter } from 'node:events'
import { createServer, type ClientRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeConnections } from './fake-connections.js'
import { createApiHandler } from './wechat-api.js'
import { createOfficialAccount, createWeComApp } from './wechat-apps.js'
import { msgIdSequence } from './wechat-messages.js'
import { AccessTokens } from './wechat-tokens.js'
import type { FakeWeChat, FakeWeChatOptions } from './wechat-types.js'
import type { WeChatWorld } from './wechat-world.js'
import { waitForChange } from './wait-for-change.js'

export type * from './wechat-types.js'
export type { BuildOptions, EventName } from './wechat-messages.js'
export { aesKeyOf, decryptMessage, encryptMessage, newEncodingAesKey, wechatSignature, WeChatCryptoError } from './wechat-crypto.js'
export { callbackXml, cdata } from './wechat-xml.js'

const FIRST_AGENT_ID = 1_000_002

/**
 * WeChat on one local port, both halves of it. As the platform calling the gateway, each app
 * (Official Accounts and WeCom apps, any number, sharing the port like tenants share WeChat)
 * verifies URLs and delivers signed, encrypted callbacks with the 5 s deadline and three retries,
 * judging the answer as the user would see it. As the API the gateway calls (`apiRoot`), it
 * issues access tokens and takes customer-service and app messages with WeChat's errcodes, quota
 * ledger and injectable faults.
 *
 * @example
 * const fake = await startFakeWeChat({ deadlineMs: 500 })
 * const oa = fake.officialAccount()
 * const ann = oa.user('ann')
 * const outcome = await oa.deliver(oa.messages.text(ann, '你好'), { url: `${gateway}/wechat` })
 * expect(outcome.outcome).toBe('success')
 * expect(await fake.waitFor(() => fake.textsTo(ann)[0])).toBe('echo: 你好')
 */
export async function startFakeWeChat(options: FakeWeChatOptions = {}): Promise<FakeWeChat> {
  let skew = 0
  let closed = false
  const now = () => (options.now ?? Date.now)() + skew
  const changes = new EventEmitter().setMaxListeners(0)
  const world: WeChatWorld = {
    now,
    deadlineMs: options.deadlineMs ?? 5000,
    apps: new Map(),
    tokens: new AccessTokens(now, options.tokenTtlSeconds ?? 7200, options.tokenOverlapMs ?? 5 * 60_000),
    media: new Map(),
    calls: [],
    sent: [],
    typing: [],
    deliveries: [],
    faults: [],
    outgoing: new Set<ClientRequest>(),
    isClosed: () => closed,
    changed: () => changes.emit('change'),
  }
  const nextMsgId = msgIdSequence()
  let nextAgentId = FIRST_AGENT_ID

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return void res.destroy()
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`fake WeChat failed: ${String(error)}`)
    })
  })
  const connections = new FakeConnections(server, world.changed)
  const handle = createApiHandler(world, connections)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const endsWith = (path: string, suffix: string) => path.endsWith(suffix.startsWith('/') ? suffix : `/${suffix}`)

  return {
    apiRoot,
    deadlineMs: world.deadlineMs,
    officialAccount: (accountOptions = {}) => createOfficialAccount(world, accountOptions, nextMsgId, options.quotas !== false),
    wecomApp: (appOptions = {}) => createWeComApp(world, appOptions, nextMsgId, appOptions.agentId ?? nextAgentId++),
    calls: world.calls,
    sent: world.sent,
    typing: world.typing,
    deliveries: world.deliveries,
    get tokensIssued() {
      return world.tokens.responses()
    },
    fault(fault) {
      world.faults.push(fault)
    },
    expireTokens: () => world.tokens.expireAll(),
    advanceClock(ms) {
      skew += ms
      world.changed()
    },
    callsTo: (path) => world.calls.filter((call) => endsWith(call.path, path)),
    textsTo: (user) => world.sent.filter((m) => m.user === user && m.text !== undefined).map((m) => m.text!),
    messagesTo: (user) => world.sent.filter((m) => m.user === user),
    waitFor: <T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> =>
      waitForChange(changes, predicate, {
        timeoutMs,
        beatMs: 10,
        describe: () => {
          const recent = world.calls.slice(-5).map((c) => `${c.path} ${c.errcode ?? c.status ?? 'held'}`).join('; ') || 'none'
          return `fake WeChat: waitFor gave up after ${timeoutMs} ms (last calls: ${recent})`
        },
      }),
    releaseHeld: () => connections.releaseHeld(),
    openConnections: () => connections.open,
    async close() {
      if (closed) return
      closed = true
      for (const req of world.outgoing) req.destroy()
      world.outgoing.clear()
      await connections.close()
    },
  }
}
