import { createHash, randomBytes } from 'node:crypto'
import { inject, injectable } from 'tsyringe'
import type { Clock } from '../../clock.js'
import { Tokens } from '../../di/tokens.js'
import { PLATFORM_TENANT, type Database } from '../../store/database.js'
import { isRole, type Principal, type Role } from './rbac.js'

export interface ApiKeyRecord {
  id: string
  tenant: string
  name: string
  role: Role
  createdBy: string
  createdAt: Date
  expiresAt: Date | null
  lastUsedAt: Date | null
  revokedAt: Date | null
}

export interface NewApiKey {
  name: string
  role: Role
  /** Who asked for it (a principal id), for the record. */
  createdBy: string
  expiresAt?: Date
}

export type KeyAuthentication = { ok: true; principal: Principal } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired' }

/** A key request that can never be honoured as asked (the HTTP layer answers 400). */
export class ApiKeyRequestError extends Error {
  constructor(
    message: string,
    /** The field of the request at fault, so the HTTP layer can name it (`body.role`). */
    readonly field?: 'name' | 'role' | 'expiresAt',
  ) {
    super(message)
    this.name = 'ApiKeyRequestError'
  }
}

// The `sb_` prefix and fixed shape let secret scanners recognise a leaked key; the id inside it
// tells the operator which key to revoke without anyone holding the hash.
const KEY_SHAPE = /^sb_([a-z2-7]{10})_([A-Za-z0-9_-]{43})$/
const KEY_ID = /^[a-z2-7]{10}$/

/** The key id inside a whole key (`sb_<id>_…`), so a leaked key can be revoked by pasting it; anything else as given. */
export const keyIdOf = (keyOrId: string): string => KEY_SHAPE.exec(keyOrId)?.[1] ?? keyOrId
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
// last_used_at is for humans spotting dead keys; a write per request would turn every read into one.
const TOUCH_INTERVAL_MS = 60_000

const columns = `id, tenant_id AS tenant, name, role, created_by AS "createdBy", created_at AS "createdAt",
  expires_at AS "expiresAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex')

function newKeyId(): string {
  const bytes = randomBytes(10)
  let id = ''
  for (const byte of bytes) id += BASE32[byte & 31]
  return id
}

@injectable()
export class ApiKeyStore {
  constructor(
    @inject(Tokens.Database) private readonly db: Database,
    @inject(Tokens.Clock) private readonly clock: Clock,
  ) {}

  /** The key is in the result and nowhere else: only its hash is stored. */
  async create(tenant: string, input: NewApiKey): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!isRole(input.role)) throw new ApiKeyRequestError(`unknown role ${JSON.stringify(input.role)}`, 'role')
    if (input.role === 'platform-admin' && tenant !== PLATFORM_TENANT)
      throw new ApiKeyRequestError(`role platform-admin is only for platform keys (tenant ${PLATFORM_TENANT}), not tenant ${JSON.stringify(tenant)}`, 'role')
    if (tenant === PLATFORM_TENANT && input.role !== 'platform-admin')
      throw new ApiKeyRequestError(`platform keys (tenant ${PLATFORM_TENANT}) must have role platform-admin, not ${input.role}`, 'role')
    const name = input.name?.trim()
    if (!name) throw new ApiKeyRequestError('a key needs a name', 'name')
    // PostgreSQL text cannot hold NUL: refused here as a bad request rather than failing in the INSERT.
    if (name.includes('\u0000')) throw new ApiKeyRequestError('a key name must not contain NUL characters', 'name')
    if (input.expiresAt && !(input.expiresAt.getTime() > this.clock.now())) throw new ApiKeyRequestError('expiresAt must be in the future', 'expiresAt')

    const id = newKeyId()
    const key = `sb_${id}_${randomBytes(32).toString('base64url')}`
    const rows = await this.db.tenant(tenant).query<ApiKeyRecord>(
      `INSERT INTO api_keys (id, tenant_id, name, role, hash, created_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
      [id, tenant, name, input.role, hashOf(key), input.createdBy, new Date(this.clock.now()), input.expiresAt ?? null],
    )
    return { key, record: rows[0]! }
  }

  async list(tenant: string): Promise<ApiKeyRecord[]> {
    return this.db.tenant(tenant).query<ApiKeyRecord>(`SELECT ${columns} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`, [tenant])
  }

  async get(tenant: string, id: string): Promise<ApiKeyRecord | undefined> {
    if (!KEY_ID.test(id)) return undefined
    const rows = await this.db.tenant(tenant).query<ApiKeyRecord>(`SELECT ${columns} FROM api_keys WHERE tenant_id = $1 AND id = $2`, [tenant, id])
    return rows[0]
  }

  /** Whether the key still opens doors: known to the tenant, not revoked, not expired. Sessions minted from it ask. */
  async isActive(tenant: string, id: string): Promise<boolean> {
    const record = await this.get(tenant, id)
    return !!record && !record.revokedAt && !(record.expiresAt && record.expiresAt.getTime() <= this.clock.now())
  }

  /** False when the key is unknown to this tenant or already revoked. */
  async revoke(tenant: string, id: string): Promise<boolean> {
    // No id of another shape was ever issued (and one with a NUL in it would fail in the query).
    if (!KEY_ID.test(id)) return false
    const rows = await this.db
      .tenant(tenant)
      .query(`UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id`, [tenant, id, new Date(this.clock.now())])
    return rows.length > 0
  }

  async authenticate(key: string): Promise<KeyAuthentication> {
    // Garbage is refused before it costs a hash and a round trip.
    if (typeof key !== 'string' || !KEY_SHAPE.test(key)) return { ok: false, reason: 'malformed' }
    // The tenant is unknown until the key is found, so the lookup is the one cross-tenant read.
    const rows = await this.db.withPlatform((tx) => tx.query<ApiKeyRecord>(`SELECT ${columns} FROM api_keys WHERE hash = $1`, [hashOf(key)]))
    const record = rows[0]
    if (!record) return { ok: false, reason: 'unknown' }
    if (record.revokedAt) return { ok: false, reason: 'revoked' }
    const now = this.clock.now()
    if (record.expiresAt && record.expiresAt.getTime() <= now) return { ok: false, reason: 'expired' }
    // A role this version does not know (written by a newer one, or by hand) grants nothing.
    if (!isRole(record.role)) return { ok: false, reason: 'unknown' }
    await this.#touch(record, now)
    return {
      ok: true,
      principal: { kind: 'key', id: record.id, name: record.name, tenant: record.tenant === PLATFORM_TENANT ? null : record.tenant, roles: [record.role] },
    }
  }

  /**
   * Throttled by the stored value itself, so it holds across replicas and restarts; the condition
   * is repeated in the UPDATE so concurrent requests past the minute still write once.
   */
  async #touch(record: ApiKeyRecord, now: number): Promise<void> {
    if (record.lastUsedAt && now - record.lastUsedAt.getTime() < TOUCH_INTERVAL_MS) return
    try {
      await this.db
        .tenant(record.tenant)
        .query(`UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at <= $4)`, [
          record.tenant,
          record.id,
          new Date(now),
          new Date(now - TOUCH_INTERVAL_MS),
        ])
    } catch {
      // Bookkeeping only: a valid key must not be refused because its last-used time could not be written.
    }
  }
}
