import { SignJWT, errors, jwtVerify } from 'jose'

export interface SessionClaims {
  visitorId: string
  conversationId: string
}

export type VerifyResult = { ok: true; claims: SessionClaims; issuedAt: number } | { ok: false; reason: 'invalid' | 'expired' }

/**
 * Visitor session tokens: HS256 JWTs bound to one tenant (audience) and one conversation.
 * The tenant in the token must match the URL's, so a token for tenant A opens nothing at B.
 */
export class SessionTokens {
  constructor(
    private readonly key: Uint8Array,
    private readonly tenant: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(claims: SessionClaims): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(this.now() / 1000)
    const expiresAt = issuedAt + this.ttlSeconds
    const token = await new SignJWT({ cid: claims.conversationId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.visitorId)
      .setIssuer('switchboard')
      .setAudience(`webchat:${this.tenant}`)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key)
    return { token, expiresAt: new Date(expiresAt * 1000) }
  }

  async verify(token: string): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: 'switchboard',
        audience: `webchat:${this.tenant}`,
        currentDate: new Date(this.now()),
      })
      if (typeof payload.sub !== 'string' || typeof payload.cid !== 'string') return { ok: false, reason: 'invalid' }
      return { ok: true, claims: { visitorId: payload.sub, conversationId: payload.cid }, issuedAt: (payload.iat ?? 0) * 1000 }
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' }
    }
  }
}
