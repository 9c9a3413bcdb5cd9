import type { Context } from 'koa'
import { sbError } from '../../errors.js'
import type { ApiKeyStore } from '../auth/api-keys.js'
import { OidcUnavailableError, looksLikeJwt, type OidcVerifier } from '../auth/oidc.js'
import type { Principal } from '../auth/rbac.js'
import { CONSOLE_TOKEN_PREFIX, type ConsoleSessions } from '../../console/session.js'

export type Authentication = { ok: true; principal: Principal } | { ok: false; code: 'SB_ERR_AUTH_REQUIRED' | 'SB_ERR_AUTH_INVALID' | 'SB_ERR_AUTH_EXPIRED'; reason: string }

/**
 * Bearer credentials: `sb_…` API keys, `sbc_…` agent-console sessions, or JWTs from the configured
 * identity provider. Which one is decided by shape, so a key is never sent to the identity
 * provider and a JWT never looked up as a key.
 */
export async function authenticate(ctx: Context, keys: ApiKeyStore, oidc: OidcVerifier | undefined, sessions?: ConsoleSessions): Promise<Authentication> {
  const header = ctx.get('authorization')
  if (!header) return { ok: false, code: 'SB_ERR_AUTH_REQUIRED', reason: 'no Authorization header' }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) return { ok: false, code: 'SB_ERR_AUTH_INVALID', reason: 'Authorization must be "Bearer <api key or token>"' }
  const credential = match[1]!
  if (credential.startsWith(CONSOLE_TOKEN_PREFIX)) {
    if (!sessions) return { ok: false, code: 'SB_ERR_AUTH_INVALID', reason: 'console sessions are not accepted here' }
    const result = await sessions.verify(credential)
    if (result.ok) return { ok: true, principal: result.principal }
    return { ok: false, code: result.reason === 'expired' ? 'SB_ERR_AUTH_EXPIRED' : 'SB_ERR_AUTH_INVALID', reason: `console session ${result.reason}` }
  }
  return authenticateCredential(credential, keys, oidc)
}

/** An API key or an identity provider's JWT, as pasted (the console's sign-in takes one). */
export async function authenticateCredential(credential: string, keys: ApiKeyStore, oidc: OidcVerifier | undefined): Promise<Authentication> {
  if (credential.startsWith('sb_')) {
    const result = await keys.authenticate(credential)
    if (result.ok) return result
    return { ok: false, code: result.reason === 'expired' ? 'SB_ERR_AUTH_EXPIRED' : 'SB_ERR_AUTH_INVALID', reason: `API key ${result.reason}` }
  }
  if (looksLikeJwt(credential)) {
    if (!oidc) return { ok: false, code: 'SB_ERR_AUTH_INVALID', reason: 'token sign-in is not configured (admin.oidc)' }
    try {
      const result = await oidc.verify(credential)
      if (result.ok) return result
      return { ok: false, code: result.reason === 'expired' ? 'SB_ERR_AUTH_EXPIRED' : 'SB_ERR_AUTH_INVALID', reason: `token ${result.reason}: ${result.message}` }
    } catch (error) {
      if (error instanceof OidcUnavailableError) throw sbError('SB_ERR_IDP_UNAVAILABLE', undefined, [], error)
      throw error
    }
  }
  return { ok: false, code: 'SB_ERR_AUTH_INVALID', reason: 'the credential is neither an API key nor a token' }
}
