import { createHash, randomBytes } from 'node:crypto'
import { decryptMessage, encryptMessage, newEncodingAesKey, randomAlphanumeric } from './wechat-crypto.js'
import { deliverCallback, httpExchange, signedQuery, verifyUrl } from './wechat-deliverer.js'
import { QuotaLedger } from './wechat-ledger.js'
import { createMessageBuilders, type MediaKind } from './wechat-messages.js'
import type { CallbackMode, FakeOfficialAccount, FakeWeChatAppBase, FakeWeComApp, OfficialAccountOptions, WeComAppOptions } from './wechat-types.js'
import type { AppRecord, WeChatWorld } from './wechat-world.js'

/** A WeCom userid is the account name an admin chose: letters, digits and `_-@.`, up to 64. */
const USERID = /^[A-Za-z0-9_.@-]{1,64}$/

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/** What OA and WeCom apps share: identity, users, media, and WeChat's side of the callback. */
function appBase(world: WeChatWorld, record: AppRecord, mode: CallbackMode, nextMsgId: () => string, userId: (name: string) => string): FakeWeChatAppBase {
  const addMedia = (data: Buffer, kind: MediaKind = 'image') => {
    const mediaId = randomBytes(48).toString('base64url')
    world.media.set(mediaId, { owner: record.key, kind, data })
    return mediaId
  }
  return {
    receiveId: record.receiveId,
    token: record.token,
    encodingAesKey: record.encodingAesKey,
    accountId: record.accountId,
    messages: createMessageBuilders({ to: record.accountId, ...(record.agentId !== undefined ? { agentId: record.agentId } : {}), nextMsgId, addMedia }),
    get tokensIssued() {
      return world.tokens.responses(record.key)
    },
    user(name) {
      const id = userId(name)
      if (!record.users.has(id)) record.users.set(id, name)
      return id
    },
    interact(user, trigger = 'message') {
      if (!record.users.has(user)) record.users.set(user, user)
      record.ledger?.interact(user, trigger)
      world.changed()
    },
    verifyUrl: (url, options) => verifyUrl(world, record, url, options),
    deliver: (message, options) => deliverCallback(world, record, options.mode ?? mode, message, options),
    post: (url, request = {}) => httpExchange(world, url, request),
    signedQuery: (options) => signedQuery(record, options),
    encrypt: (message, options = {}) => encryptMessage(message, record.encodingAesKey, options.receiveId ?? record.receiveId, options.random),
    decrypt: (encrypt) => decryptMessage(encrypt, record.encodingAesKey),
    addMedia,
    textsTo: (user) => world.sent.filter((m) => m.app === record.key && m.user === user && m.text !== undefined).map((m) => m.text!),
  }
}

export function createOfficialAccount(world: WeChatWorld, options: OfficialAccountOptions, nextMsgId: () => string, counting: boolean): FakeOfficialAccount {
  const appId = options.appId ?? `wx${hex(8)}`
  const record: AppRecord = {
    kind: 'official-account',
    key: appId,
    receiveId: appId,
    secret: options.appSecret ?? hex(16),
    token: options.token ?? randomAlphanumeric(32),
    encodingAesKey: options.encodingAesKey ?? newEncodingAesKey(),
    accountId: options.originalId ?? `gh_${hex(6)}`,
    users: new Map(),
    ledger: new QuotaLedger(world.now, counting),
  }
  if (world.apps.has(record.key)) throw new Error(`fake WeChat: an Official Account ${appId} exists already`)
  world.apps.set(record.key, record)
  const mode = options.mode ?? 'safe'
  // An openid is per user and per account, so the same person has another openid elsewhere.
  const openid = (name: string) => `o${createHash('sha256').update(`${appId}\0${name}`).digest('base64url').slice(0, 27)}`
  return Object.assign(appBase(world, record, mode, nextMsgId, openid), {
    kind: 'official-account' as const,
    appId,
    appSecret: record.secret,
    originalId: record.accountId,
    mode,
  })
}

export function createWeComApp(world: WeChatWorld, options: WeComAppOptions, nextMsgId: () => string, agentId: number): FakeWeComApp {
  const corpId = options.corpId ?? `ww${hex(8)}`
  const record: AppRecord = {
    kind: 'wecom',
    key: `${corpId}/${agentId}`,
    receiveId: corpId,
    secret: options.corpSecret ?? randomBytes(32).toString('base64url').slice(0, 43),
    token: options.token ?? randomAlphanumeric(32),
    encodingAesKey: options.encodingAesKey ?? newEncodingAesKey(),
    accountId: corpId,
    agentId,
    users: new Map(),
  }
  if (world.apps.has(record.key)) throw new Error(`fake WeChat: WeCom app ${record.key} exists already`)
  world.apps.set(record.key, record)
  const userid = (name: string) => (USERID.test(name) ? name : `u${createHash('sha256').update(name).digest('hex').slice(0, 16)}`)
  // WeCom callbacks are always encrypted, whatever mode a delivery asks for.
  return Object.assign(appBase(world, record, 'safe', nextMsgId, userid), {
    kind: 'wecom' as const,
    corpId,
    corpSecret: record.secret,
    agentId,
  })
}
