import type { ClientRequest } from 'node:http'
import type { QuotaLedger } from './wechat-ledger.js'
import type { MediaKind } from './wechat-messages.js'
import type { AccessTokens } from './wechat-tokens.js'
import type { ApiCall, ApiFault, DeliveryOutcome, SentMessage, TypingRecord } from './wechat-types.js'

/** One app as the fake's server and deliverer see it. */
export interface AppRecord {
  kind: 'official-account' | 'wecom'
  /** appId, or corpId/agentId: what records name the app by. */
  key: string
  receiveId: string
  secret: string
  token: string
  encodingAesKey: string
  accountId: string
  agentId?: number
  /** Users by id → name. */
  users: Map<string, string>
  /** The customer-service quota (OA only: WeCom app messages have no window). */
  ledger?: QuotaLedger
}

export interface StoredMedia {
  owner: string
  kind: MediaKind
  data: Buffer
}

/** The state one fake's apps, API server and deliverer share. */
export interface WeChatWorld {
  /** The fake's clock: token lifetimes and quota windows. */
  now(): number
  readonly deadlineMs: number
  readonly apps: Map<string, AppRecord>
  readonly tokens: AccessTokens
  readonly media: Map<string, StoredMedia>
  readonly calls: ApiCall[]
  readonly sent: SentMessage[]
  readonly typing: TypingRecord[]
  readonly deliveries: DeliveryOutcome[]
  readonly faults: ApiFault[]
  /** The deliverer's requests in flight, cut on close. */
  readonly outgoing: Set<ClientRequest>
  isClosed(): boolean
  /** Wakes waitFor. */
  changed(): void
}
