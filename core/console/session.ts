import { SignJWT, errors, jwtVerify } from 'jose'
import type { Clock } from '../clock.js'
import type { ApiKeyStore } from '../admin/auth/api-keys.js'
import { isRole, type Principal } from '../admin/auth/rbac.js'

/** Sessions are told apart from API keys (`sb_`) and identity-provider JWTs by this prefix. */
export const CONSOLE_TOKEN_PREFIX = 'sbc_'
const ISSUER = 'switchboard'
const AUDIENCE = 'switchboard-console'
/** A working day: an agent signs in once per shift. */
export const SESSION_SECONDS = 8 * 3600
// A revoked key keeps a session alive for at most this long; checking on every request would
// turn each console click into a key lookup.
const KEY_CHECK_MS = 30_000
const KEY_CHECK_ENTRIES = 10_000

/** A principal bound to one tenant: the only kind that may use the console. */
export type AgentPrincipal = Principal & { tenant: string }

export type SessionCheck = { ok: true; principal: AgentPrincipal; expiresAt: Date } | { ok: false; reason: 'invalid' | 'expired' | 'revoked' }

/**
 * Agent-console sessions: HS256 JWTs signed with the gateway's session secret (the same on every
 * replica), carrying the principal that signed in. A session made from an API key lasts only as
 * long as the key stays active.
 */
export class ConsoleSessions {
  readonly #keyChecks = new Map<string, { active: boolean; at: number }>()

  constructor(
    private readonly secret: Uint8Array,
    private readonly keys: ApiKeyStore,
    private readonly clock: Clock,
  ) {}

  async issue(principal: AgentPrincipal): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(this.clock.now() / 1000)
    const expiresAt = issuedAt + SESSION_SECONDS
    const jwt = await new SignJWT({ tenant: principal.tenant, roles: principal.roles, kind: principal.kind, ...(principal.name ? { name: principal.name } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(principal.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.secret)
    return { token: `${CONSOLE_TOKEN_PREFIX}${jwt}`, expiresAt: new Date(expiresAt * 1000) }
  }

  async verify(token: string): Promise<SessionCheck> {
    if (typeof token !== 'string' || !token.startsWith(CONSOLE_TOKEN_PREFIX)) return { ok: false, reason: 'invalid' }
    let payload
    try {
      ;({ payload } = await jwtVerify(token.slice(CONSOLE_TOKEN_PREFIX.length), this.secret, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['exp', 'sub'],
      }))
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' }
    }
    const { sub, tenant, roles, kind, name, exp } = payload
    if (typeof sub !== 'string' || typeof tenant !== 'string' || (kind !== 'key' && kind !== 'user')) return { ok: false, reason: 'invalid' }
    if (!Array.isArray(roles) || !roles.every(isRole)) return { ok: false, reason: 'invalid' }
    const principal: AgentPrincipal = { kind, id: sub, tenant, roles, ...(typeof name === 'string' ? { name } : {}) }
    if (!(await this.stillActive(principal))) return { ok: false, reason: 'revoked' }
    return { ok: true, principal, expiresAt: new Date(exp! * 1000) }
  }

  /** Whether what the session was made from still holds: the API key not revoked or expired since. */
  async stillActive(principal: AgentPrincipal): Promise<boolean> {
    // An identity provider's user has no record here; the session's own expiry bounds it.
    if (principal.kind !== 'key') return true
    const now = this.clock.now()
    const cacheKey = `${principal.tenant}\u001f${principal.id}`
    const cached = this.#keyChecks.get(cacheKey)
    if (cached && now - cached.at < KEY_CHECK_MS) return cached.active
    const active = await this.keys.isActive(principal.tenant, principal.id)
    if (this.#keyChecks.size >= KEY_CHECK_ENTRIES) this.#keyChecks.clear()
    this.#keyChecks.set(cacheKey, { active, at: now })
    return active
  }
}
