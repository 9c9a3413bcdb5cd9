import { RateLimiterMemory } from 'rate-limiter-flexible'
import { WebSocketServer } from 'ws'
import { Tokens, defineChannel, refuseUpgrade, requestIdFrom, type OutboundDelivery, originAllowed } from '../../core/index.js'
import { WebchatConnection, type WebchatDeps } from './connection.js'
import { ConnectionHub } from './hub.js'
import { manifest } from './manifest.js'
import { chatPageHandlers } from './page.js'
import { CloseCode, encode } from './protocol.js'
import { SessionTokens } from './session-token.js'

export default defineChannel({
  manifest,
  async start(ctx) {
    const { config, tenant, scope } = ctx
    const hub = new ConnectionHub()
    const clock = ctx.container.resolve(Tokens.Clock)
    const deps: WebchatDeps = {
      tenant,
      instance: ctx.instance,
      config,
      tokens: new SessionTokens(ctx.container.resolve(Tokens.SessionSecret), tenant, config.sessionTtlSeconds, () => clock.now()),
      hub,
      limiter: new RateLimiterMemory({ points: config.rateLimit.frames, duration: config.rateLimit.perSeconds }),
      delivery: ctx.delivery,
      conversations: ctx.conversations,
      transcript: ctx.transcript,
      metrics: ctx.metrics,
      log: ctx.log,
      closing: ctx.closing,
      now: () => clock.now(),
      securityEvent: ctx.securityEvent,
    }
    const connectionLimiter = new RateLimiterMemory({ points: config.connectionsPerMinute, duration: 60 })
    const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, perMessageDeflate: false, clientTracking: false })
    scope.onDispose(() => {
      for (const connection of hub.all) connection.ws.terminate()
      wss.close()
    }, 'websocket server')

    ctx.upgrades.reserved('ws', (request, socket, head) => {
      const address = ctx.clientAddress(request)
      const requestId = requestIdFrom(request.headers['x-request-id'])
      if (!originAllowed(request.headers.origin, request.headers.host, config.allowedOrigins)) {
        ctx.metrics.framesRejected.inc({ tenant, code: 'SB_ERR_ORIGIN_FORBIDDEN' })
        ctx.securityEvent({ action: 'channel.origin_forbidden', source: address, reason: `origin ${request.headers.origin ?? '(none)'} is not allowed`, requestId })
        refuseUpgrade(socket, 403, 'SB_ERR_ORIGIN_FORBIDDEN')
        return
      }
      connectionLimiter.consume(address).then(
        () => {
          // The tenant's socket budget is held for the connection's life; released on the raw
          // socket's close, which also fires when ws aborts a malformed handshake.
          if (!ctx.sockets.acquire()) {
            ctx.metrics.framesRejected.inc({ tenant, code: 'SB_ERR_RATE_LIMITED' })
            return refuseUpgrade(socket, 429, 'SB_ERR_RATE_LIMITED', { 'Retry-After': '5' })
          }
          socket.once('close', () => ctx.sockets.release())
          wss.handleUpgrade(request, socket, head, (ws) => new WebchatConnection(ws, deps, requestId, address))
        },
        (limited: { msBeforeNext?: number }) => {
          ctx.metrics.framesRejected.inc({ tenant, code: 'SB_ERR_RATE_LIMITED' })
          refuseUpgrade(socket, 429, 'SB_ERR_RATE_LIMITED', { 'Retry-After': String(Math.ceil((limited.msBeforeNext ?? 60_000) / 1000)) })
        },
      )
    })

    const heartbeat = setInterval(() => {
      for (const connection of hub.all) {
        if (!connection.alive) {
          connection.ws.terminate()
          continue
        }
        connection.alive = false
        connection.ws.ping()
      }
    }, config.heartbeatSeconds * 1000)
    heartbeat.unref()
    scope.onDispose(() => clearInterval(heartbeat), 'heartbeat')

    const { page, widget } = await chatPageHandlers(tenant, config)
    ctx.http.reserved('chat', 'GET', '/', page)
    ctx.http.reserved('chat', 'GET', '/widget.js', widget)

    return {
      async send(delivery: OutboundDelivery) {
        const sockets = hub.of(delivery.conversationId)
        if (!sockets) return { status: 'deferred' }
        const frame = encode.message({ id: delivery.id, seq: delivery.seq, turnId: delivery.turnId, text: delivery.text, parts: delivery.parts, at: delivery.createdAt })
        let delivered = false
        for (const connection of sockets) delivered = connection.deliver(delivery.seq, frame) || delivered
        return { status: delivered ? 'sent' : 'deferred' }
      },
      stream(conversationId, turnId, delta) {
        const sockets = hub.of(conversationId)
        if (!sockets) return
        const frame = encode.draft(turnId, delta)
        for (const connection of sockets) if (connection.state === 'ready') connection.send(frame)
      },
      typing(conversationId, on) {
        const sockets = hub.of(conversationId)
        if (!sockets) return
        for (const connection of sockets) if (connection.state === 'ready') connection.send(encode.typing(on))
      },
      async drain() {
        for (const connection of hub.all) {
          connection.send(encode.goodbye(1000))
          connection.close(CloseCode.goingAway, 'gateway shutting down; resume later')
        }
      },
      async probe() {
        return { ok: true, detail: `${hub.all.size} sockets` }
      },
    }
  },
})
