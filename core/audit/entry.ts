export interface AuditActor {
  type: 'key' | 'user' | 'system' | 'channel'
  id: string
}

export type AuditOutcome = 'success' | 'denied' | 'failure' | 'invalid'

/** What a caller reports; the log adds where it sits in its tenant's chain. */
export interface AuditInput {
  /** Omitted for platform-wide events, which go to the chain PLATFORM_TENANT. */
  tenant?: string
  actor: AuditActor
  /** Dotted verb, e.g. 'tenant.reload', 'key.create', 'auth.denied', 'config.reload'. */
  action: string
  target?: string
  outcome: AuditOutcome
  requestId?: string
  /** Client address. */
  source?: string
  /**
   * Stored as given: callers redact secrets with the config schema before auditing, because only
   * the schema knows which fields are secret; guessing by key name here would miss some.
   */
  details?: Record<string, unknown>
}

/** One stored entry: `hash` covers every other field and `prevHash`, which is the previous entry's `hash`. */
export interface AuditEntry {
  tenant: string
  /** 1, 2, 3… without gaps within a tenant's chain. */
  seq: number
  id: string
  at: Date
  actor: AuditActor
  action: string
  target: string | null
  outcome: AuditOutcome
  requestId: string | null
  source: string | null
  details: Record<string, unknown>
  prevHash: string
  hash: string
}

export interface AuditFilter {
  /** Inclusive. */
  from?: Date
  /** Exclusive. */
  to?: Date
  action?: string
  actorId?: string
  target?: string
  outcome?: AuditOutcome
  afterSeq?: number
  limit?: number
}

export interface AuditVerification {
  tenant: string
  ok: boolean
  entries: number
  firstBroken?: { seq: number; reason: string }
}
