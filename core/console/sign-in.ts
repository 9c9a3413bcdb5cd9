import type { Context } from 'koa'
import { RateLimiterMemory } from 'rate-limiter-flexible'
import { z } from 'zod'
import type { AuditLog } from '../audit/audit-log.js'
import type { ApiKeyStore } from '../admin/auth/api-keys.js'
import type { OidcVerifier } from '../admin/auth/oidc.js'
import { can, type Principal } from '../admin/auth/rbac.js'
import { authenticateCredential } from '../admin/http/authenticate.js'
import { readJsonBody } from '../admin/http/body.js'
import { validate } from '../admin/http/validate.js'
import { sbError } from '../errors.js'
import { PLATFORM_TENANT } from '../store/database.js'
import type { AgentPrincipal, ConsoleSessions } from './session.js'

export interface SignInDeps {
  keys: ApiKeyStore
  oidc: OidcVerifier | undefined
  sessions: ConsoleSessions
  audit: AuditLog
  bodyLimitBytes: number
  clientAddress: (ctx: Context) => string
  /** Whether the tenant runs on this gateway: a removed tenant's agents have no queue to work. */
  tenantRunning: (tenant: string) => boolean
}

const SignInBody = z.object({ credential: z.string().trim().min(1, 'paste an API key or a sign-in token').max(8192) }).strict()

// Guessing keys through the sign-in form is slowed per source; a correct key never counts.
const FAILED_SIGN_INS_PER_MINUTE = 10

/**
 * POST /console/session: trades an agent's API key or identity-provider token for a console
 * session. Only a principal of one tenant that may work handoffs gets one.
 */
export function signIn(deps: SignInDeps): (ctx: Context) => Promise<void> {
  const failures = new RateLimiterMemory({ points: FAILED_SIGN_INS_PER_MINUTE, duration: 60 })
  return async (ctx) => {
    const source = deps.clientAddress(ctx)
    const requestId = ctx.state.requestId as string
    const spent = await failures.get(source)
    if (spent && spent.remainingPoints <= 0) {
      const refused = sbError('SB_ERR_RATE_LIMITED', 'too many failed sign-ins from this address; wait a minute and try again')
      refused.retryAfterMs = spent.msBeforeNext
      throw refused
    }
    const { credential } = validate(SignInBody, await readJsonBody(ctx, deps.bodyLimitBytes), 'body')
    const auth = await authenticateCredential(credential, deps.keys, deps.oidc)
    if (!auth.ok) {
      await failures.consume(source).catch(() => undefined)
      deps.audit.recordThrottled(`console:${source}`, {
        actor: { type: 'system', id: 'console' },
        action: 'console.sign_in',
        target: 'console',
        outcome: 'denied',
        requestId,
        source,
        details: { reason: auth.reason },
      })
      ctx.set('WWW-Authenticate', 'Bearer realm="switchboard-console"')
      throw sbError(auth.code, `sign-in failed: ${auth.reason}`)
    }
    const principal = auth.principal
    const actor = { type: principal.kind, id: principal.id } as const
    const refusal = whyNotAnAgent(principal, deps.tenantRunning)
    if (refusal) {
      await deps.audit.record({ tenant: principal.tenant ?? PLATFORM_TENANT, actor, action: 'console.sign_in', target: 'console', outcome: 'denied', requestId, source, details: { reason: refusal } })
      throw sbError('SB_ERR_FORBIDDEN', refusal)
    }
    const agent = principal as AgentPrincipal
    const { token, expiresAt } = await deps.sessions.issue(agent)
    await deps.audit.record({ tenant: agent.tenant, actor, action: 'console.sign_in', target: 'console', outcome: 'success', requestId, source, details: { expiresAt: expiresAt.toISOString() } })
    ctx.set('Cache-Control', 'no-store')
    ctx.body = { token, principal: agent, expiresAt }
  }
}

function whyNotAnAgent(principal: Principal, tenantRunning: (tenant: string) => boolean): string | undefined {
  if (principal.tenant === null) return 'the console is for one tenant’s agents; sign in with a key of that tenant (role agent or tenant-admin), not a platform key'
  if (!can(principal, 'handoff:work', principal.tenant))
    return `the console needs the permission handoff:work (roles agent or tenant-admin); this credential has ${principal.roles.join(', ') || 'no role'}`
  if (!tenantRunning(principal.tenant)) return `tenant ${principal.tenant} is not running on this gateway`
  return undefined
}
