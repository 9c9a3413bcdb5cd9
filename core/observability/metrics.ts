import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * The gateway's Prometheus metrics on a registry of its own (several gateways can share a process
 * in tests). Labels are bounded: tenant, channel type, direction, outcome, error code.
 */
export class Metrics {
  readonly registry = new Registry()

  readonly messages = new Counter({
    name: 'switchboard_messages_total',
    help: 'Messages by tenant, channel, direction (in|out) and outcome',
    labelNames: ['tenant', 'channel', 'direction', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly turnDuration = new Histogram({
    name: 'switchboard_turn_duration_seconds',
    help: 'Time from an accepted inbound message to its replies being committed',
    labelNames: ['tenant', 'channel'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })

  readonly turnErrors = new Counter({
    name: 'switchboard_turn_errors_total',
    help: 'Turns whose pipeline threw',
    labelNames: ['tenant', 'channel'] as const,
    registers: [this.registry],
  })

  readonly openSockets = new Gauge({
    name: 'switchboard_open_sockets',
    help: 'Open web-chat sockets',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  })

  readonly limitRejections = new Counter({
    name: 'switchboard_limit_rejections_total',
    help: 'Requests refused because a tenant was over a configured limit (messages, turns, sockets)',
    labelNames: ['tenant', 'limit'] as const,
    registers: [this.registry],
  })

  readonly inboxDuplicates = new Counter({
    name: 'switchboard_inbox_duplicates_total',
    help: 'Inbound messages dropped because the inbox had already accepted them',
    labelNames: ['tenant', 'channel'] as const,
    registers: [this.registry],
  })

  readonly outboxPending = new Gauge({
    name: 'switchboard_outbox_pending',
    help: 'Replies persisted but not yet delivered',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  })

  readonly outboxOldest = new Gauge({
    name: 'switchboard_outbox_oldest_pending_seconds',
    help: 'Age of the oldest undelivered reply',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  })

  readonly framesRejected = new Counter({
    name: 'switchboard_ws_frames_rejected_total',
    help: 'Web-chat frames or connections rejected, by error code',
    labelNames: ['tenant', 'code'] as const,
    registers: [this.registry],
  })

  readonly httpDuration = new Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'HTTP requests by method, matched route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  })

  readonly storeUp = new Gauge({
    name: 'switchboard_store_up',
    help: '1 when the database answered the last readiness probe',
    registers: [this.registry],
  })

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' })
  }

  /** Refreshes gauges that are read from elsewhere (the outbox table) just before a scrape. */
  beforeScrape?: () => Promise<void>

  async render(): Promise<{ contentType: string; body: string }> {
    await this.beforeScrape?.().catch(() => {})
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
