import { createHash } from 'node:crypto'
import type { AuditEntry } from './entry.js'
import { storableText } from '../message/storable.js'

/** The `prevHash` of a chain's first entry. */
export const GENESIS = '0'.repeat(64)

/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth and no whitespace. jsonb
 * stores keys in its own order, so a hash over plain JSON.stringify would not survive a round trip;
 * a fixed spelling also lets a verifier in another language recompute the hash.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON(): unknown }).toJSON())
  }
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null'
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((item) => (isOmitted(item) ? 'null' : canonicalJson(item))).join(',')}]`
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>
    const fields = Object.keys(record)
      .filter((key) => !isOmitted(record[key]))
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
    return `{${fields.join(',')}}`
  }
  throw new TypeError(`cannot audit a ${typeof value}`)
}

const isOmitted = (value: unknown) => value === undefined || typeof value === 'function' || typeof value === 'symbol'

export type HashedFields = Omit<AuditEntry, 'prevHash' | 'hash'>

/** sha256 hex of `prevHash + '\n' + canonicalJson(entry)`, with missing optionals as null. */
export function entryHash(prevHash: string, entry: HashedFields): string {
  const content = canonicalJson({
    tenant: entry.tenant,
    seq: entry.seq,
    id: entry.id,
    at: entry.at.toISOString(),
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    action: entry.action,
    target: entry.target ?? null,
    outcome: entry.outcome,
    requestId: entry.requestId ?? null,
    source: entry.source ?? null,
    details: entry.details,
  })
  return createHash('sha256').update(`${prevHash}\n${content}`).digest('hex')
}

/**
 * The value as the database will hand it back, so the hash computed before the insert matches the
 * one recomputed from the row: JSON's own rules (toJSON, undefined dropped, non-finite numbers as
 * null, -0 as 0) plus the characters PostgreSQL cannot store in text or jsonb (NUL, lone surrogates),
 * which become U+FFFD rather than failing the write of a denied request's hostile input.
 */
export function storable(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return storable((value as { toJSON(): unknown }).toJSON())
  }
  if (typeof value === 'string') return storableText(value)
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null
  if (typeof value === 'boolean') return value
  if (Array.isArray(value)) return value.map((item) => (isOmitted(item) ? null : storable(item)))
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: an own '__proto__' key (JSON.parse makes those) must stay a key, not become the prototype.
      if (!isOmitted(item)) Object.defineProperty(out, storableText(key), { value: storable(item), enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  throw new TypeError(`cannot audit a ${typeof value}`)
}

