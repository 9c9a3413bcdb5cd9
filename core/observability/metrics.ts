import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Seconds a customer waits for a human: the VIP target (30 s) sits on a bucket edge. */
const HANDOFF_BUCKETS = [5, 10, 15, 30, 60, 120, 300, 600, 1800]

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

  readonly channelRejections = new Counter({
    name: 'switchboard_channel_requests_rejected_total',
    help: 'Channel requests refused before anything was accepted (bad signature or token, forbidden origin), by action',
    labelNames: ['tenant', 'channel', 'action'] as const,
    registers: [this.registry],
  })

  readonly channelThrottled = new Counter({
    name: 'switchboard_channel_throttled_total',
    help: 'Outbound sends held back: by the platform (429 and Retry-After) or by our own rate governor before the platform had to',
    labelNames: ['tenant', 'channel', 'source'] as const,
    registers: [this.registry],
  })

  readonly channelUndeliverable = new Counter({
    name: 'switchboard_channel_undeliverable_total',
    help: 'Replies the platform refused for good (a closed messaging window, a spent quota, a user who left), by the platform reason',
    labelNames: ['tenant', 'channel', 'reason'] as const,
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

  // The customer-service agent's view of each turn; intent labels are bounded by the tenant's config.
  readonly intents = new Counter({
    name: 'switchboard_intents_total',
    help: 'Classified inbound messages by intent and by who classified them (builtin model or LLM)',
    labelNames: ['tenant', 'intent', 'source'] as const,
    registers: [this.registry],
  })

  readonly sentiments = new Counter({
    name: 'switchboard_sentiments_total',
    help: 'Inbound messages by sentiment label',
    labelNames: ['tenant', 'label'] as const,
    registers: [this.registry],
  })

  readonly escalations = new Counter({
    name: 'switchboard_escalations_total',
    help: 'Turns flagged for a human, by the rule that flagged them',
    labelNames: ['tenant', 'reason'] as const,
    registers: [this.registry],
  })

  readonly agentAnswers = new Counter({
    name: 'switchboard_agent_answers_total',
    help: 'Agent replies by route (knowledge, smalltalk, clarify, escalate) and provider (builtin, openai, builtin_fallback after an LLM failure, openai_ungrounded when the LLM answer failed the grounding check)',
    labelNames: ['tenant', 'route', 'provider'] as const,
    registers: [this.registry],
  })

  readonly llmCalls = new Counter({
    name: 'switchboard_llm_calls_total',
    help: 'LLM and embedding calls by purpose and outcome (ok, error, timeout, breaker_open, budget_exhausted, aborted)',
    labelNames: ['tenant', 'purpose', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly llmTokens = new Counter({
    name: 'switchboard_llm_tokens_total',
    help: 'Tokens spent on LLM calls, counted against the tenant budget',
    labelNames: ['tenant', 'kind'] as const,
    registers: [this.registry],
  })

  readonly llmDuration = new Histogram({
    name: 'switchboard_llm_call_duration_seconds',
    help: 'Duration of LLM and embedding calls, retries included',
    labelNames: ['tenant', 'purpose'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [this.registry],
  })

  readonly knowledgeSearchDuration = new Histogram({
    name: 'switchboard_knowledge_search_duration_seconds',
    help: 'Knowledge-base hybrid search latency',
    labelNames: ['tenant'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  })

  // The support desk: how long customers wait for a human, VIPs apart (vip = level '0'…'9', bounded).
  readonly handoffQueueLength = new Gauge({
    name: 'switchboard_handoff_queue_length',
    help: 'Conversations waiting for a human agent, by VIP level',
    labelNames: ['tenant', 'vip'] as const,
    registers: [this.registry],
  })

  readonly handoffQueueOldest = new Gauge({
    name: 'switchboard_handoff_queue_oldest_seconds',
    help: 'How long the longest-waiting queued conversation has waited',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  })

  readonly ticketsBreachingSla = new Gauge({
    name: 'switchboard_tickets_breaching_sla',
    help: 'Unresolved tickets past a due time, by SLA clock (first_response, resolve)',
    labelNames: ['tenant', 'clock'] as const,
    registers: [this.registry],
  })

  readonly handoffWait = new Histogram({
    name: 'switchboard_handoff_wait_seconds',
    help: 'Time from entering the queue to an agent taking the conversation, by VIP level',
    labelNames: ['tenant', 'vip'] as const,
    buckets: HANDOFF_BUCKETS,
    registers: [this.registry],
  })

  readonly handoffFirstResponse = new Histogram({
    name: 'switchboard_handoff_first_response_seconds',
    help: 'Time from entering the queue to the first human reply, by VIP level (the VIP target is under 30 s)',
    labelNames: ['tenant', 'vip'] as const,
    buckets: HANDOFF_BUCKETS,
    registers: [this.registry],
  })

  readonly handoffs = new Counter({
    name: 'switchboard_handoffs_total',
    help: 'Handoff steps by reason and outcome (queued, taken, resolved, abandoned, after_hours)',
    labelNames: ['tenant', 'reason', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly tickets = new Counter({
    name: 'switchboard_tickets_total',
    help: 'Tickets created, by source and priority',
    labelNames: ['tenant', 'source', 'priority'] as const,
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
