import type { Logger } from 'pino'
import type { RateLimiterMemory } from 'rate-limiter-flexible'
import type { WebSocket } from 'ws'
import {
  type ChannelContext,
  isSwitchboardError,
  type ChannelDeliveryPort,
  type ConversationRepository,
  type ErrorCode,
  type Metrics,
  type TranscriptRepository,
} from '../../core/index.js'
import type { ConnectionHub } from './hub.js'
import type { WebsocketConfig } from './manifest.js'
import { CloseCode, decodeFrame, encode, type ClientFrame } from './protocol.js'
import { toActivity, type VisitorFrame } from './inbound.js'
import type { SessionTokens } from './session-token.js'

/** Everything the sockets of one channel instance share. */
export interface WebchatDeps {
  tenant: string
  instance: string
  config: WebsocketConfig
  tokens: SessionTokens
  hub: ConnectionHub
  limiter: RateLimiterMemory
  delivery: ChannelDeliveryPort
  conversations: ConversationRepository
  transcript: TranscriptRepository
  metrics: Metrics
  log: Logger
  closing: () => boolean
  now: () => number
  securityEvent: ChannelContext<unknown>['securityEvent']
}

type State = 'hello' | 'replaying' | 'ready' | 'closed'

const SLOW_CLIENT_BYTES = 4 * 1024 * 1024
const MAX_QUEUED_FRAMES = 64
const REPLAY_PAGE = 500
const RESUME_BELOW = 16
let nextId = 0

/**
 * One web-chat socket. Kept small on purpose (10,000 idle sockets must fit in a few hundred MB):
 * behaviour lives on the prototype, shared state in `deps`, and the only timer is the hello
 * deadline, cleared as soon as the visitor says hello.
 */
export class WebchatConnection {
  readonly id = ++nextId
  state: State = 'hello'
  alive = true
  conversationId: string | undefined
  visitorId: string | undefined
  locale: string | undefined
  userName: string | undefined
  tokenIssuedAt = 0
  lastSentSeq = 0
  /** Live messages that arrived while a resume replay was being read from the store. */
  pending: { seq: number; frame: string }[] | undefined
  helloTimer: NodeJS.Timeout | undefined
  violations = 0
  /** Frames of one socket are handled one after another, so a hello pipelined with a message works. */
  inbox: Promise<void> = Promise.resolve()
  queued = 0

  constructor(
    readonly ws: WebSocket,
    readonly deps: WebchatDeps,
    /** The upgrade request's id (X-Request-Id or generated), for logs about this socket. */
    readonly requestId: string,
    /** Who opened the socket (trustProxy honoured), for security events. */
    readonly address: string,
  ) {
    this.helloTimer = setTimeout(() => this.close(CloseCode.helloTimeout, 'no hello'), deps.config.helloTimeoutSeconds * 1000)
    deps.hub.all.add(this)
    deps.metrics.openSockets.inc({ tenant: deps.tenant })
    ws.on('message', (data, isBinary) => {
      // Backpressure: a client racing ahead of the store stops being read until we catch up.
      if (++this.queued === MAX_QUEUED_FRAMES) ws.pause()
      this.inbox = this.inbox.then(() => this.onData(data as Buffer, isBinary)).finally(() => {
        if (--this.queued === RESUME_BELOW) ws.resume()
      })
    })
    ws.on('pong', () => {
      this.alive = true
    })
    ws.on('close', () => this.onClose())
    ws.on('error', () => this.onClose())
  }

  send(frame: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return
    if (this.ws.bufferedAmount > SLOW_CLIENT_BYTES) {
      // A client that stopped reading would hold memory forever; it resumes from its last seq.
      this.ws.terminate()
      return
    }
    this.ws.send(frame)
  }

  /** A bot message for this socket, respecting an in-progress replay and never sending a seq twice. */
  deliver(seq: number, frame: string): boolean {
    if (this.state === 'replaying') {
      this.pending!.push({ seq, frame })
      return true
    }
    if (this.state !== 'ready' || seq <= this.lastSentSeq) return this.state === 'ready'
    this.lastSentSeq = seq
    this.send(frame)
    this.maybeRefreshToken()
    return true
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return
    this.ws.close(code, reason)
    this.onClose()
  }

  reject(code: ErrorCode, message: string, extra: { clientId?: string; retryAfterMs?: number } = {}): void {
    this.deps.metrics.framesRejected.inc({ tenant: this.deps.tenant, code })
    this.send(encode.error(code, message, extra))
  }

  private onClose(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearTimeout(this.helloTimer)
    this.deps.hub.remove(this.conversationId, this)
    this.deps.metrics.openSockets.dec({ tenant: this.deps.tenant })
  }

  private async onData(data: Buffer, isBinary: boolean): Promise<void> {
    if (this.state === 'closed') return
    // Decoding first (bounded by maxFrameBytes) lets a refusal name the message the client must resend.
    const decoded = isBinary ? ({ ok: false, message: 'binary frames are not supported' } as const) : decodeFrame(data.toString('utf8'))
    if (!(await this.withinRate(decoded.ok && 'client_id' in decoded.frame ? decoded.frame.client_id : undefined))) return
    if (!decoded.ok) return this.reject('SB_ERR_FRAME_INVALID', decoded.message)
    const frame = decoded.frame
    if (this.state === 'hello' && frame.type !== 'hello') {
      this.reject('SB_ERR_AUTH_REQUIRED', 'the first frame must be hello')
      return this.close(CloseCode.protocol, 'hello required')
    }
    try {
      await this.handle(frame)
    } catch (error) {
      const code: ErrorCode = isSwitchboardError(error) ? error.code : 'SB_ERR_INTERNAL'
      if (!isSwitchboardError(error)) this.deps.log.error({ err: error, frame: frame.type, requestId: this.requestId, conversation: this.conversationId }, 'web-chat frame failed')
      const clientId = 'client_id' in frame ? frame.client_id : undefined
      // Only a passing condition is worth resending; a message refused for what it is is not.
      const retryAfterMs = isSwitchboardError(error) && error.retryAfterMs !== undefined ? error.retryAfterMs : code === 'SB_ERR_STORE_UNAVAILABLE' || code === 'SB_ERR_SHUTTING_DOWN' ? 1000 : undefined
      this.reject(code, isSwitchboardError(error) ? error.message : 'internal error', { clientId, retryAfterMs })
      // A session whose setup or replay failed is closed rather than left half open with gaps.
      if (frame.type === 'hello') this.close(CloseCode.internal, 'session setup failed; reconnect')
    }
  }

  private async withinRate(clientId: string | undefined): Promise<boolean> {
    try {
      await this.deps.limiter.consume(this.id)
      this.violations = 0
      return true
    } catch (limited) {
      const retryAfterMs = (limited as { msBeforeNext?: number }).msBeforeNext ?? 1000
      this.violations++
      this.reject('SB_ERR_RATE_LIMITED', 'too many frames; slow down', { retryAfterMs, clientId })
      if (this.violations > this.deps.config.rateLimit.frames * 2) this.close(CloseCode.policy, 'flooding')
      return false
    }
  }

  private async handle(frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'hello':
        return this.hello(frame)
      case 'message':
      case 'postback':
        return this.receive(frame)
      case 'resume':
        // A client cannot be ahead of what it was sent; a larger number would hide live messages.
        return this.replay(Math.min(frame.after_seq, this.lastSentSeq))
      case 'history':
        return this.history(frame.limit ?? 50)
      case 'typing':
        return
      case 'ping':
        return this.send(encode.pong(frame.id))
    }
  }

  private async hello(frame: Extract<ClientFrame, { type: 'hello' }>): Promise<void> {
    if (this.state !== 'hello') return this.reject('SB_ERR_FRAME_INVALID', 'hello was already received')
    const { deps } = this
    clearTimeout(this.helloTimer)
    this.helloTimer = undefined
    this.locale = frame.user?.locale
    this.userName = frame.user?.name
    let conversation
    if (frame.token) {
      const verified = await deps.tokens.verify(frame.token)
      if (verified.ok) conversation = await deps.conversations.get(deps.tenant, verified.claims.conversationId)
      if (!verified.ok || !conversation || conversation.instance !== deps.instance || conversation.externalId !== verified.claims.visitorId) {
        const expired = !verified.ok && verified.reason === 'expired'
        if (!expired) deps.securityEvent({ action: 'channel.auth_failed', source: this.address, reason: 'invalid session token', requestId: this.requestId })
        this.reject(expired ? 'SB_ERR_AUTH_EXPIRED' : 'SB_ERR_AUTH_INVALID', expired ? 'the session has expired; start a new one' : 'the session token is not valid here')
        return this.close(CloseCode.unauthorized, expired ? 'expired' : 'invalid token')
      }
    } else {
      const visitorId = `v_${crypto.randomUUID()}`
      conversation = await deps.conversations.ensure({
        tenant: deps.tenant,
        channel: 'websocket',
        instance: deps.instance,
        externalId: visitorId,
        userId: visitorId,
        userName: this.userName,
        locale: this.locale,
      })
    }
    if (this.state !== 'hello') return // closed while we were reading the store
    this.conversationId = conversation.id
    this.visitorId = conversation.externalId
    this.state = 'replaying'
    this.pending = []
    const evicted = deps.hub.add(conversation.id, this)
    evicted?.close(CloseCode.replaced, 'replaced by a newer socket')
    const { token, expiresAt } = await deps.tokens.issue({ visitorId: conversation.externalId, conversationId: conversation.id })
    this.tokenIssuedAt = deps.now()
    const lastSeq = conversation.created ? 0 : await deps.transcript.lastSeq(deps.tenant, conversation.id)
    const afterSeq = Math.min(frame.after_seq ?? lastSeq, lastSeq)
    this.lastSentSeq = afterSeq
    this.send(
      encode.welcome({
        token,
        expiresAt,
        conversationId: conversation.id,
        visitorId: conversation.externalId,
        lastSeq,
        resumed: Boolean(frame.token),
        heartbeatMs: deps.config.heartbeatSeconds * 1000,
      }),
    )
    await this.replay(afterSeq)
  }

  /** Sends every bot message after `afterSeq`, then whatever arrived live meanwhile, in seq order. */
  private async replay(afterSeq: number): Promise<void> {
    if (!this.conversationId) return
    const { deps } = this
    if (this.state === 'ready') {
      this.state = 'replaying'
      this.pending = []
    }
    this.lastSentSeq = afterSeq
    try {
      for (let page; (page = await deps.transcript.outboundAfter(deps.tenant, this.conversationId, this.lastSentSeq, REPLAY_PAGE)).length > 0; ) {
        for (const m of page) {
          if (m.seq === null || m.seq <= this.lastSentSeq) continue
          this.lastSentSeq = m.seq
          this.send(encode.message({ id: m.id, seq: m.seq, turnId: m.turnId, text: m.text, parts: m.parts, at: m.createdAt }))
        }
        if (page.length < REPLAY_PAGE) break
      }
    } finally {
      const buffered = this.pending ?? []
      this.pending = undefined
      if (this.state === 'replaying') this.state = 'ready'
      for (const { seq, frame } of buffered.sort((a, b) => a.seq - b.seq)) this.deliver(seq, frame)
    }
  }

  private async history(limit: number): Promise<void> {
    if (!this.conversationId) return
    const entries = await this.deps.transcript.history(this.deps.tenant, this.conversationId, limit)
    this.send(encode.history(entries.map((e) => ({ id: e.id, direction: e.direction, seq: e.seq, text: e.text, parts: e.parts, at: e.createdAt }))))
  }

  private async receive(frame: VisitorFrame): Promise<void> {
    const { deps } = this
    const clientId = frame.client_id
    const text = frame.type === 'message' ? frame.text : frame.value
    if (text.length > deps.config.maxTextLength) {
      return this.reject('SB_ERR_TEXT_TOO_LONG', `text is longer than ${deps.config.maxTextLength} characters`, { clientId })
    }
    if (deps.closing()) {
      return this.reject('SB_ERR_SHUTTING_DOWN', 'the gateway is restarting; resend after reconnecting', { clientId, retryAfterMs: 1000 })
    }
    const session = { tenant: deps.tenant, instance: deps.instance, conversationId: this.conversationId!, visitorId: this.visitorId!, userName: this.userName, locale: this.locale }
    const activity = toActivity(frame, session, new Date(deps.now()))
    const result = await deps.delivery.receive(activity)
    this.send(encode.ack(clientId, result.messageId, result.status === 'duplicate'))
    this.maybeRefreshToken()
  }

  private maybeRefreshToken(): void {
    const { deps } = this
    if (deps.now() - this.tokenIssuedAt < (deps.config.sessionTtlSeconds * 1000) / 2) return
    this.tokenIssuedAt = deps.now()
    void deps.tokens.issue({ visitorId: this.visitorId!, conversationId: this.conversationId! }).then(({ token, expiresAt }) => this.send(encode.token(token, expiresAt)))
  }
}
