import type { IncomingHttpHeaders } from 'node:http'
import type { MediaKind, MessageBuilders, WeChatMessage } from './wechat-messages.js'
import type { Trigger } from './wechat-ledger.js'

export interface FakeWeChatOptions {
  /** How long the deliverer waits for an answer before it cuts the connection and retries. WeChat: 5000. */
  deadlineMs?: number
  /** expires_in of access tokens, in seconds. Default 7200. */
  tokenTtlSeconds?: number
  /** How long an OA token keeps working after a newer one was fetched. Default 5 min. */
  tokenOverlapMs?: number
  /**
   * false stops counting customer-service sends (no 45047), for long split replies; the 48 h
   * window and unfollows (45015) still apply.
   */
  quotas?: false
  /** The clock of token lifetimes and quota windows, in ms; default Date.now. advanceClock() adds to it. */
  now?: () => number
}

/** How the Official Account's callbacks are configured in its admin console. */
export type CallbackMode = 'plain' | 'compat' | 'safe'
export type Credentials = 'valid' | 'missing' | 'forged'

export interface OfficialAccountOptions {
  /** Default `wx` + 16 hex digits. */
  appId?: string
  appSecret?: string
  /** The callback Token; default random. */
  token?: string
  /** Default a fresh 43-character key. */
  encodingAesKey?: string
  /** The account's original id, ToUserName of its callbacks; default `gh_` + 12 hex digits. */
  originalId?: string
  /** Default 'safe'. */
  mode?: CallbackMode
}

export interface WeComAppOptions {
  /** Default `ww` + 16 hex digits. Several apps may share a corp. */
  corpId?: string
  /** This app's secret: WeCom tokens belong to one app of one corp. */
  corpSecret?: string
  token?: string
  encodingAesKey?: string
  /** Default 1000002, then upwards. */
  agentId?: number
}

export interface DeliverOptions {
  /** The gateway's callback URL (no query: the deliverer adds WeChat's). */
  url: string
  /** OA only; default the account's mode. WeCom callbacks are always encrypted. */
  mode?: CallbackMode
  /** `missing` leaves out signature and msg_signature; `forged` signs with a wrong token. */
  credentials?: Credentials
  /** Seconds; default now (the real clock, which the gateway checks against its own). */
  timestamp?: number | string
  nonce?: string
  /**
   * `body`: the Encrypt is changed after signing (in plain mode, where nothing covers the body,
   * the Content is). `appid`: encrypted with another app's appid/corpid trailer, signed correctly.
   */
  tamper?: 'body' | 'appid'
  /** false sends once, without WeChat's three retries. */
  retries?: boolean
  /** Overrides the fake's deadlineMs for this delivery. */
  deadlineMs?: number
}

export interface DeliveryAttempt {
  /** The HTTP status; `timeout` when no full answer came before the deadline; the socket error code otherwise. */
  status: number | string
  body: string
  latencyMs: number
  at: number
}

/**
 * What WeChat made of the final answer. `success` and `empty` end the exchange quietly; a valid
 * passive reply is shown to the user; `invalid` (bad data, a non-200) and `no-answer` (every
 * attempt timed out or failed to connect) show the user the "service unavailable" banner.
 */
export type AnswerKind = 'success' | 'empty' | 'passive-reply' | 'invalid' | 'no-answer'

export interface PassiveReply {
  msgType: string
  /** The Content of a text reply. */
  text?: string
  /** The MediaId of an image, voice or video reply. */
  mediaId?: string
  /** Whether it came encrypted (safe and compat modes, WeCom). */
  encrypted: boolean
  /** The reply's plaintext XML. */
  xml: string
}

export interface DeliveryOutcome {
  /** WeChat took the final answer as valid: `success`, empty, or a well-formed passive reply. */
  accepted: boolean
  /** The last attempt's status. */
  status: number | string
  attempts: DeliveryAttempt[]
  outcome: AnswerKind
  /** The user saw "该公众号暂时无法提供服务，请稍后再试". */
  bannerShown: boolean
  /** Why the answer was invalid. */
  problem?: string
  passive?: PassiveReply
  /** What was sent: the same bytes on every attempt. */
  request: { url: string; body: string }
}

export interface VerifyOptions {
  credentials?: Credentials
  timestamp?: number | string
  nonce?: string
}

export interface VerifyOutcome {
  /** The gateway echoed exactly what WeChat expects (and, for WeCom, within 1 s). */
  ok: boolean
  status: number | string
  body: string
  /** The echostr (OA) or the decrypted random string (WeCom) the body must equal. */
  expected: string
  latencyMs: number
  problem?: string
}

export interface RawRequest {
  /** Default POST. */
  method?: string
  query?: Record<string, string>
  body?: string | Buffer
  /** Default `content-type: text/xml`. */
  headers?: Record<string, string>
  /** Default the fake's deadlineMs. */
  timeoutMs?: number
}

export interface RawResponse {
  status: number | string
  body: string
  headers: IncomingHttpHeaders
  latencyMs: number
}

export interface SignedQueryOptions {
  timestamp?: number | string
  nonce?: string
  /** Adds msg_signature over it (and encrypt_type=aes for an OA). */
  encrypt?: string
  /** OA callbacks name the user. */
  openid?: string
  credentials?: Credentials
}

/** What one app of the fake offers: its identity, WeChat's side of the callback, and its users. */
export interface FakeWeChatAppBase {
  /** The appId (OA) or corpId (WeCom): the trailer inside every ciphertext. */
  readonly receiveId: string
  /** The callback Token. */
  readonly token: string
  readonly encodingAesKey: string
  /** ToUserName of its callbacks: the OA's original id, or the corpId. */
  readonly accountId: string
  readonly messages: MessageBuilders
  /** Successful access_token responses to this app. */
  readonly tokensIssued: number
  /** A stable id for `name`: an openid (OA, per app as in WeChat) or a userid (WeCom). */
  user(name: string): string
  /** Records a user action without a callback: opens their send window. */
  interact(user: string, trigger?: Trigger): void
  /** GET URL verification, exactly as WeChat does it when the URL is saved in the console. */
  verifyUrl(url: string, options?: VerifyOptions): Promise<VerifyOutcome>
  /** Signs (and encrypts), POSTs, and applies WeChat's deadline and retries. Raw XML (or bytes) goes through the same path. */
  deliver(message: WeChatMessage | string | Buffer, options: DeliverOptions): Promise<DeliveryOutcome>
  /** A hand-made request: nothing added but what `request` says. */
  post(url: string, request?: RawRequest): Promise<RawResponse>
  /** The query WeChat would send, for hand-made requests that must pass the signature check. */
  signedQuery(options?: SignedQueryOptions): Record<string, string>
  encrypt(message: string | Buffer, options?: { receiveId?: string; random?: string }): string
  decrypt(encrypt: string): { message: Buffer; receiveId: string }
  /** Stores media as if a user had sent it, for /cgi-bin/media/get. Returns its MediaId. */
  addMedia(data: Buffer, kind?: MediaKind): string
  /** Texts this app's user saw, in order: customer-service sends and passive replies. */
  textsTo(user: string): string[]
}

export interface FakeOfficialAccount extends FakeWeChatAppBase {
  readonly kind: 'official-account'
  readonly appId: string
  readonly appSecret: string
  readonly originalId: string
  readonly mode: CallbackMode
}

export interface FakeWeComApp extends FakeWeChatAppBase {
  readonly kind: 'wecom'
  readonly corpId: string
  readonly corpSecret: string
  readonly agentId: number
}

export type FakeWeChatApp = FakeOfficialAccount | FakeWeComApp

export interface ApiCall {
  at: number
  /** e.g. `/cgi-bin/message/custom/send`. */
  path: string
  method: string
  /** The query; secrets (secret, corpsecret) redacted. */
  params: Record<string, string>
  /** Parsed JSON, or the raw text when it did not parse. */
  body: unknown
  /** null while held, for an HTTP-status fault, and for media bytes served. */
  errcode: number | null
  errmsg?: string
  /** HTTP status; null while held. */
  status: number | null
  fault?: 'errcode' | 'status' | 'hang' | 'drop'
  /** The app the access_token belongs to (appId, or corpId/agentId). */
  app?: string
}

/** A message a user received. */
export interface SentMessage {
  /** appId, or corpId/agentId. */
  app: string
  user: string
  msgtype: string
  text?: string
  /** The JSON that was sent, or the passive reply's XML. */
  body: unknown
  via: 'custom/send' | 'message/send' | 'passive'
  at: number
}

export interface TypingRecord {
  app: string
  user: string
  command: 'Typing' | 'CancelTyping'
  at: number
}

/** Which calls a fault hits: `path` matches the end of the path (`custom/send`, `message/send`, `token`, `gettoken`). */
export type ApiFaultTarget = {
  path?: string
  /** Another name for `path`, as the Telegram fake's faults say. */
  method?: string
  /** Only sends (and typing) to this user. */
  user?: string
  /** How many matching calls it hits. Default 1. */
  times?: number
}

export type ApiFault = ApiFaultTarget &
  (
    /** Answers this errcode (HTTP 200, as WeChat does): -1 busy, 45009, 40001, 42001, 45015, 45047… */
    | { errcode: number; errmsg?: string }
    /** An HTTP error from the proxy in front of the API. */
    | { status: number }
    /** Never answers and performs nothing, until releaseHeld() or close() cuts the connection. */
    | { hang: true }
    /** Performs the call, then cuts the connection before answering: sent, but the caller can't know. */
    | { drop: true }
  )

export interface FakeWeChat {
  /** Give this to the channel as apiRoot (both api.weixin.qq.com and qyapi.weixin.qq.com). */
  readonly apiRoot: string
  readonly deadlineMs: number
  officialAccount(options?: OfficialAccountOptions): FakeOfficialAccount
  wecomApp(options?: WeComAppOptions): FakeWeComApp
  /** Every API call, in arrival order. */
  readonly calls: ApiCall[]
  /** Everything users received, in order. */
  readonly sent: SentMessage[]
  readonly typing: TypingRecord[]
  /** Every delivery the apps made, once finished. */
  readonly deliveries: DeliveryOutcome[]
  /** Successful access_token responses, all apps together. */
  readonly tokensIssued: number
  fault(fault: ApiFault): void
  /** Every token issued so far answers 42001 from now on. */
  expireTokens(): void
  /** Moves the fake's clock (token lifetimes, quota windows) forward. */
  advanceClock(ms: number): void
  /** Calls whose path ends with `path`. */
  callsTo(path: string): ApiCall[]
  /** Texts `user` saw, in order, across apps (an openid belongs to one app; WeCom userids may repeat across corps). */
  textsTo(user: string): string[]
  messagesTo(user: string): SentMessage[]
  /** Resolves with the predicate's first truthy value, re-checked on every change and every 10 ms. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>
  /** Cuts the connections of held calls; returns how many. */
  releaseHeld(): number
  /** Connections clients hold to the fake's server (the deliverer's own outgoing ones are not counted). */
  openConnections(): number
  /** Stops deliveries in flight, cuts held and idle connections and stops the server. */
  close(): Promise<void>
}

export type { MediaKind, MessageBuilders, Trigger, WeChatMessage }
