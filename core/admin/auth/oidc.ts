import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose'
import { isTenantSlug, PLATFORM_TENANT } from '../../tenancy/tenant-id.js'
import { isRole, type Principal, type Role } from './rbac.js'

export interface OidcOptions {
  issuer: string
  audience: string
  jwksUri: string
  /** Claim naming the user's tenant; default `switchboard_tenant`. */
  tenantClaim?: string
  /** Claim listing the user's roles (array or space-separated string); default `switchboard_roles`. */
  rolesClaim?: string
  clockToleranceSec?: number
  /** Asymmetric algorithms only; default RS256 and ES256. */
  algorithms?: string[]
}

export type OidcVerification = { ok: true; principal: Principal } | { ok: false; reason: 'malformed' | 'expired' | 'invalid'; message: string }

/**
 * The identity provider could not be asked for its keys (down, timing out, answering garbage).
 * Thrown rather than reported as a bad token: the token may be fine, and the answer is 503, not 401.
 */
export class OidcUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'OidcUnavailableError'
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
// Symmetric algorithms would let anyone holding the verification key mint tokens; 'none' lets anyone.
const FORBIDDEN_ALGORITHM = /^(none|HS\d+)$/i

/**
 * Three base64url segments, the last possibly empty: routes `Bearer eyJ...` to OIDC and
 * `Bearer sb_...` to API keys. Unsigned tokens match on purpose, so they are refused by the
 * verifier with a reason instead of being mistaken for something else.
 */
export const looksLikeJwt = (s: string): boolean => JWT_SHAPE.test(s)

export class OidcVerifier {
  readonly #keys: ReturnType<typeof createRemoteJWKSet>
  readonly #issuer: string
  readonly #audience: string
  readonly #tenantClaim: string
  readonly #rolesClaim: string
  readonly #clockTolerance: number
  readonly #algorithms: string[]

  constructor(options: OidcOptions) {
    const algorithms = options.algorithms ?? ['RS256', 'ES256']
    const forbidden = algorithms.filter((alg) => FORBIDDEN_ALGORITHM.test(alg))
    if (algorithms.length === 0 || forbidden.length > 0) throw new Error(`OIDC algorithms must be asymmetric signature algorithms, not ${JSON.stringify(forbidden.length ? forbidden : algorithms)}`)
    this.#issuer = options.issuer
    this.#audience = options.audience
    this.#tenantClaim = options.tenantClaim ?? 'switchboard_tenant'
    this.#rolesClaim = options.rolesClaim ?? 'switchboard_roles'
    this.#clockTolerance = options.clockToleranceSec ?? 30
    this.#algorithms = algorithms
    // Caches the key set and refetches it when a token names an unknown kid (key rotation),
    // at most once per cooldown so forged kids cannot hammer the provider.
    this.#keys = createRemoteJWKSet(new URL(options.jwksUri))
  }

  async verify(token: string): Promise<OidcVerification> {
    if (typeof token !== 'string' || !looksLikeJwt(token)) return { ok: false, reason: 'malformed', message: 'not a JWT' }
    try {
      decodeProtectedHeader(token)
    } catch {
      return { ok: false, reason: 'malformed', message: 'the JWT header is not valid JSON' }
    }
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, this.#keys, {
        issuer: this.#issuer,
        audience: this.#audience,
        algorithms: this.#algorithms,
        clockTolerance: this.#clockTolerance,
        // A token without an expiry would be a credential forever.
        requiredClaims: ['sub', 'exp'],
      }))
    } catch (error) {
      return this.#refusal(error)
    }
    return this.#principalOf(payload)
  }

  #refusal(error: unknown): OidcVerification & { ok: false } {
    const message = error instanceof Error ? error.message : String(error)
    if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message }
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return { ok: false, reason: 'malformed', message }
    if (
      error instanceof errors.JWTClaimValidationFailed ||
      error instanceof errors.JWSSignatureVerificationFailed ||
      error instanceof errors.JOSEAlgNotAllowed ||
      error instanceof errors.JOSENotSupported ||
      error instanceof errors.JWKSNoMatchingKey ||
      error instanceof errors.JWKSMultipleMatchingKeys ||
      error instanceof errors.JWKInvalid
    )
      return { ok: false, reason: 'invalid', message }
    throw new OidcUnavailableError(`cannot fetch the identity provider's keys: ${message}`, { cause: error })
  }

  #principalOf(payload: JWTPayload): OidcVerification {
    const roles = rolesOf(payload[this.#rolesClaim])
    const claimed = payload[this.#tenantClaim]
    let tenant: string | null
    if (claimed === undefined || claimed === null || claimed === '') {
      if (!roles.includes('platform-admin')) return { ok: false, reason: 'invalid', message: 'token carries no tenant' }
      tenant = null
    } else if (typeof claimed === 'string' && isTenantSlug(claimed) && claimed !== PLATFORM_TENANT) {
      tenant = claimed
    } else {
      return { ok: false, reason: 'invalid', message: `claim ${this.#tenantClaim} is not a tenant id` }
    }
    const name = [payload.name, payload.email].find((v): v is string => typeof v === 'string' && v !== '')
    return { ok: true, principal: { kind: 'user', id: payload.sub!, ...(name ? { name } : {}), tenant, roles } }
  }
}

/** Roles the gateway does not know are dropped: an IdP may carry roles for other applications. */
function rolesOf(claim: unknown): Role[] {
  const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : []
  return [...new Set(values.filter(isRole))]
}
