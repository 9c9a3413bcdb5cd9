import { inject, injectable } from 'tsyringe'
import { systemClock, type Clock } from '../clock.js'
import { Tokens } from '../di/tokens.js'
import type { BatchQueue } from '../store/batch-queue.js'
import { PLATFORM_TENANT, scopeStatements, type Database, type Sql } from '../store/database.js'
import { newId } from '../store/ids.js'
import { tenantBatchQueue } from '../store/tenant-batch-queue.js'
import { storableText } from '../message/storable.js'
import { entryHash, GENESIS, storable, type HashedFields } from './chain.js'
import type { AuditActor, AuditEntry, AuditFilter, AuditInput, AuditOutcome, AuditVerification } from './entry.js'

// The two-key form of the advisory lock: its own key space, apart from the migration lock.
const AUDIT_LOCK_CLASS = 0x5342_4155
const PAGE = 1000
const MAX_LIMIT = 1000
const MINUTE = 60_000

interface Throttle {
  windowStart: number
  written: number
  suppressed: number
  /** The latest suppressed event, written with the count if no later one comes. */
  last?: AuditInput
}

interface Row {
  tenant: string
  seq: number | string | bigint
  id: string
  at: Date
  actor_type: AuditActor['type']
  actor_id: string
  action: string
  target: string | null
  outcome: AuditOutcome
  request_id: string | null
  source: string | null
  details: Record<string, unknown>
  prev_hash: string
  hash: string
}

const COLUMNS = `tenant_id AS tenant, seq, id, at, actor_type, actor_id, action, target, outcome, request_id, source, details, prev_hash, hash`

const fromRow = (row: Row): AuditEntry => ({
  tenant: row.tenant,
  seq: Number(row.seq),
  id: row.id,
  at: row.at,
  actor: { type: row.actor_type, id: row.actor_id },
  action: row.action,
  target: row.target,
  outcome: row.outcome,
  requestId: row.request_id,
  source: row.source,
  details: row.details,
  prevHash: row.prev_hash,
  hash: row.hash,
})

/**
 * The append-only, hash-chained record of who did what. Each tenant (and the platform) has one
 * chain; appends from every replica serialise on an advisory lock per chain, so the chain never
 * forks, and group commit keeps a burst of entries to one transaction per tenant.
 */
@injectable()
export class AuditLog {
  /** Where fire-and-forget writes report failures; the log itself has no logger. */
  onError: (error: unknown, input: AuditInput) => void = () => {}

  readonly #queue: BatchQueue<HashedFields, AuditEntry>
  readonly #throttles = new Map<string, Throttle>()
  #lastSweep: number

  constructor(
    @inject(Tokens.Database) private readonly db: Database,
    @inject(Tokens.Clock, { isOptional: true }) private readonly clock: Clock = systemClock,
  ) {
    this.#queue = tenantBatchQueue(db, (item) => item.tenant, (tx, items) => this.#append(tx, items[0]!.tenant, items))
    this.#lastSweep = clock.now()
  }

  /** Appends an entry; resolves once it is committed, so an admin request can answer after it. */
  async record(input: AuditInput): Promise<AuditEntry> {
    return this.#queue.push(this.#prepare(input))
  }

  /** For paths that must not wait on or fail because of the audit write. */
  recordLater(input: AuditInput, onError: (error: unknown, input: AuditInput) => void = this.onError): void {
    this.record(input).catch((error: unknown) => onError(error, input))
  }

  /**
   * For events an outsider can trigger at will (bad channel signatures): at most `perMinute`
   * entries per key and minute, so a flood cannot fill the log. The events held back are counted
   * into the next entry written for the key as `details.suppressed`. Returns whether this event
   * was written (fire-and-forget, like `recordLater`).
   */
  recordThrottled(key: string, input: AuditInput, perMinute = 10): boolean {
    const now = this.clock.now()
    const id = `${input.tenant ?? PLATFORM_TENANT}\u001f${key}`
    let throttle = this.#throttles.get(id)
    if (!throttle || now - throttle.windowStart >= MINUTE) {
      throttle = { windowStart: now, written: 0, suppressed: throttle?.suppressed ?? 0 }
      this.#throttles.set(id, throttle)
    }
    const write = throttle.written < perMinute
    if (write) {
      throttle.written++
      const suppressed = throttle.suppressed
      throttle.suppressed = 0
      delete throttle.last
      this.recordLater(suppressed > 0 ? { ...input, details: { ...input.details, suppressed } } : input)
    } else {
      throttle.suppressed++
      throttle.last = input
    }
    // After this key's own window is settled, so its count goes to this event, not a summary.
    if (now - this.#lastSweep >= MINUTE) this.#sweep(now)
    return write
  }

  /** A tenant's entries in chain order; every filter is a bound parameter. */
  async query(tenant: string, filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const limit = filter.limit ?? 100
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`audit query limit must be a positive integer, not ${String(filter.limit)}`)
    const afterSeq = filter.afterSeq ?? 0
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError(`audit query afterSeq must be a non-negative integer, not ${String(filter.afterSeq)}`)
    for (const [name, date] of [['from', filter.from], ['to', filter.to]] as const) {
      if (date !== undefined && !(date instanceof Date && Number.isFinite(date.getTime()))) throw new RangeError(`audit query ${name} is not a valid date`)
    }
    const text = (value: string | undefined) => (value === undefined ? null : storableText(value))
    const rows = await this.db.tenant(tenant).query<Row>(
      `SELECT ${COLUMNS} FROM audit_log
       WHERE tenant_id = $1 AND seq > $2
         AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
         AND ($5::text IS NULL OR action = $5) AND ($6::text IS NULL OR actor_id = $6)
         AND ($7::text IS NULL OR target = $7) AND ($8::text IS NULL OR outcome = $8)
       ORDER BY seq LIMIT $9`,
      [tenant, afterSeq, filter.from ?? null, filter.to ?? null, text(filter.action), text(filter.actorId), text(filter.target), text(filter.outcome), Math.min(limit, MAX_LIMIT)],
    )
    return rows.map(fromRow)
  }

  /** Everything `filter` selects (`limit` caps the total), fetched a page at a time. */
  async *export(tenant: string, filter: AuditFilter = {}): AsyncIterable<AuditEntry> {
    let remaining = filter.limit ?? Infinity
    let afterSeq = filter.afterSeq ?? 0
    while (remaining > 0) {
      const limit = Math.min(PAGE, remaining)
      const page = await this.query(tenant, { ...filter, afterSeq, limit })
      yield* page
      if (page.length < limit) return
      remaining -= page.length
      afterSeq = page[page.length - 1]!.seq
    }
  }

  /**
   * Recomputes the whole chain and reports the first entry that does not hold. Catches rows
   * altered or removed underneath the application; rows cut off the end leave a shorter chain
   * that still verifies, which only a copy of the head kept elsewhere can reveal.
   */
  async verify(tenant: string): Promise<AuditVerification> {
    let entries = 0
    let previous: { seq: number; hash: string } = { seq: 0, hash: GENESIS }
    let firstBroken: AuditVerification['firstBroken']
    for (;;) {
      const rows = await this.db
        .tenant(tenant)
        .query<Row>(`SELECT ${COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [tenant, previous.seq, PAGE])
      for (const row of rows) {
        const entry = fromRow(row)
        entries++
        firstBroken ??= brokenLink(previous, entry)
        previous = entry
      }
      if (rows.length < PAGE) break
    }
    return firstBroken ? { tenant, ok: false, entries, firstBroken } : { tenant, ok: true, entries }
  }

  /** Every chain with entries, PLATFORM_TENANT included. */
  async tenants(): Promise<string[]> {
    // Skips from one tenant to the next along the primary key instead of reading every row.
    const rows = await this.db.withPlatform((tx) =>
      tx.query<{ tenant: string }>(
        `WITH RECURSIVE t(tenant) AS (
           SELECT min(tenant_id) FROM audit_log
           UNION ALL
           SELECT (SELECT min(tenant_id) FROM audit_log WHERE tenant_id > t.tenant) FROM t WHERE t.tenant IS NOT NULL)
         SELECT tenant FROM t WHERE tenant IS NOT NULL`,
      ),
    )
    return rows.map((r) => r.tenant)
  }

  /** Writes the counts of events still held back by `recordThrottled`, then waits for every queued write (shutdown). */
  async flush(): Promise<void> {
    this.#sweep(Infinity)
    await this.#queue.drain()
  }

  /** Forgets finished throttle windows; counts nobody carried forward are written with the last held-back event. */
  #sweep(now: number): void {
    this.#lastSweep = Math.min(now, this.clock.now())
    for (const [id, throttle] of this.#throttles) {
      if (now - throttle.windowStart < MINUTE) continue
      this.#throttles.delete(id)
      if (throttle.last && throttle.suppressed > 0) {
        // The held-back event itself becomes the entry, so it carries the count of the others.
        const others = throttle.suppressed - 1
        this.recordLater(others > 0 ? { ...throttle.last, details: { ...throttle.last.details, suppressed: others } } : throttle.last)
      }
    }
  }

  #prepare(input: AuditInput): HashedFields {
    const tenant = input.tenant ?? PLATFORM_TENANT
    // A malformed tenant must fail its own caller here, not the transaction its batch shares.
    scopeStatements({ tenant })
    const optional = (value: string | undefined) => (value === undefined ? null : storableText(value))
    return {
      tenant,
      seq: 0,
      id: newId('aud_'),
      // Milliseconds: what a JS Date holds, so the hashed time is exactly the stored one.
      at: new Date(this.clock.now()),
      actor: { type: input.actor.type, id: storableText(input.actor.id) },
      action: storableText(input.action),
      target: optional(input.target),
      outcome: input.outcome,
      requestId: optional(input.requestId),
      source: optional(input.source),
      details: (storable(input.details ?? {}) ?? {}) as Record<string, unknown>,
    }
  }

  async #append(tx: Sql, tenant: string, items: HashedFields[]): Promise<AuditEntry[]> {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [AUDIT_LOCK_CLASS, tenant])
    // A statement of its own, after the lock: under READ COMMITTED it sees the previous holder's commit.
    const [head] = await tx.query<{ seq: number | string; hash: string }>(
      'SELECT seq, hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1',
      [tenant],
    )
    let seq = Number(head?.seq ?? 0)
    let prevHash = head?.hash ?? GENESIS
    const entries = items.map((item): AuditEntry => {
      const fields = { ...item, seq: ++seq }
      const hash = entryHash(prevHash, fields)
      const entry = { ...fields, prevHash, hash }
      prevHash = hash
      return entry
    })
    await tx.query(
      `INSERT INTO audit_log (tenant_id, seq, id, at, actor_type, actor_id, action, target, outcome, request_id, source, details, prev_hash, hash)
       SELECT tenant_id, seq, id, at, actor_type, actor_id, action, target, outcome, request_id, source, details, prev_hash, hash
       FROM jsonb_to_recordset($1::jsonb) AS x(tenant_id text, seq bigint, id text, at timestamptz, actor_type text, actor_id text,
         action text, target text, outcome text, request_id text, source text, details jsonb, prev_hash text, hash text)`,
      [
        JSON.stringify(
          entries.map((e) => ({
            tenant_id: e.tenant,
            seq: e.seq,
            id: e.id,
            at: e.at.toISOString(),
            actor_type: e.actor.type,
            actor_id: e.actor.id,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
            request_id: e.requestId,
            source: e.source,
            details: e.details,
            prev_hash: e.prevHash,
            hash: e.hash,
          })),
        ),
      ],
    )
    return entries
  }
}

/** Why `entry` does not follow `previous`, checked in the order that best names the damage. */
function brokenLink(previous: { seq: number; hash: string }, entry: AuditEntry): AuditVerification['firstBroken'] {
  if (entry.seq !== previous.seq + 1) return { seq: entry.seq, reason: `seq gap: rows missing before seq ${entry.seq}` }
  if (entryHash(entry.prevHash, entry) !== entry.hash) return { seq: entry.seq, reason: 'hash mismatch: row altered' }
  if (entry.prevHash !== previous.hash) return { seq: entry.seq, reason: 'prev_hash does not match the previous entry' }
  return undefined
}
