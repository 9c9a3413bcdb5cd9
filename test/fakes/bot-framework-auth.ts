import { createPublicKey, randomBytes, randomUUID } from 'node:crypto'
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'

/** `iss` of every token the Bot Framework channel sends to a bot. */
export const CHANNEL_ISSUER = 'https://api.botframework.com'
/** The resource bots ask AAD for; the connector only accepts tokens for it. */
export const CONNECTOR_AUDIENCE = 'https://api.botframework.com'
export const CONNECTOR_SCOPE = `${CONNECTOR_AUDIENCE}/.default`
/** Tenant id behind the `botframework.com` authority, which multi-tenant bots get their tokens from. */
export const BOT_FRAMEWORK_TENANT_ID = 'd6d49420-f39b-4df7-a1dc-d59a935871db'

export interface ChannelTokenOptions {
  /** The `serviceurl` claim; botbuilder compares it, exactly, with `activity.serviceUrl`. Default the fake's. */
  serviceUrl?: string
  /** Default the fake's app id. */
  aud?: string
  /** Default `https://api.botframework.com`. */
  iss?: string
  /** Seconds from now until `exp`; negative for the past. Default 3600. Verifiers allow 5 minutes of skew. */
  expiresIn?: number
  /** Seconds from now until `nbf`. Default 0. */
  notBefore?: number
  /** A published key's kid signs with that (older) key; any other kid goes in the header of a token signed with the current key. */
  kid?: string
  /** 'none' leaves the token unsigned; 'HS256' signs with the public key's PEM as an HMAC secret (algorithm confusion). */
  alg?: 'RS256' | 'none' | 'HS256'
  /** Signs with a published key whose endorsements leave out `msteams`. */
  unendorsed?: boolean
  /** 'stranger' signs with a key never published, under the signing key's kid: a forgery with a valid-looking header. */
  key?: 'current' | 'stranger'
  /** Extra claims, or overrides (undefined removes a claim). */
  claims?: Record<string, unknown>
}

export interface ChannelKey {
  kid: string
  endorsements: string[]
  privateKey: CryptoKey
  publicJwk: JWK
  /** The PEM a verifier derives from `n`/`e` (PKCS#1, as botbuilder's rsa-pem-from-mod-exp makes it). */
  publicPem: string
}

/** Key ids look like the real ones: a base64url SHA-1-sized thumbprint, also used as `x5t`. */
const newKid = () => base64url.encode(randomBytes(20))

async function newChannelKey(endorsements: string[]): Promise<ChannelKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const jwk = await exportJWK(publicKey)
  const kid = newKid()
  const publicPem = createPublicKey({ key: { kty: 'RSA', n: jwk.n!, e: jwk.e! }, format: 'jwk' }).export({ type: 'pkcs1', format: 'pem' }).toString()
  return { kid, endorsements, privateKey, publicJwk: { kty: 'RSA', use: 'sig', kid, x5t: kid, n: jwk.n, e: jwk.e }, publicPem }
}

/**
 * RSA key generation takes ~200 ms a key on a two-core box, so fakes in one process start from
 * the same keys; app ids differ per fake, so one fake's tokens still fail at another's bot.
 * Keys made by rotation are always fresh.
 */
let startingKeys: Promise<[ChannelKey, ChannelKey, ChannelKey]> | undefined
let aadKey: Promise<CryptoKey> | undefined

/**
 * The channel's signing keys as the OpenID metadata publishes them. Older keys stay published
 * after a rotation, as Microsoft's do while tokens signed with them are in flight.
 */
export class ChannelKeys {
  private constructor(
    private readonly published: ChannelKey[],
    private signing: ChannelKey,
    private readonly unendorsed: ChannelKey,
    private readonly stranger: ChannelKey,
  ) {}

  static async create(): Promise<ChannelKeys> {
    const [first, unendorsed, stranger] = await (startingKeys ??= Promise.all([
      newChannelKey(['msteams']),
      // Endorsed for other channels only: botbuilder skips the endorsement check for a key with none at all.
      newChannelKey(['webchat', 'directline']),
      newChannelKey(['msteams']),
    ]))
    return new ChannelKeys([first, unendorsed], first, unendorsed, stranger)
  }

  get currentKid(): string {
    return this.signing.kid
  }

  get unendorsedKid(): string {
    return this.unendorsed.kid
  }

  jwks(): { keys: Array<JWK & { endorsements: string[] }> } {
    return { keys: this.published.map((k) => ({ ...k.publicJwk, endorsements: k.endorsements })) }
  }

  /** Publishes a new msteams key; with `activate` (default) new tokens are signed with it. Returns its kid. */
  async rotate(activate = true): Promise<string> {
    const key = await newChannelKey(['msteams'])
    this.published.push(key)
    if (activate) this.signing = key
    return key.kid
  }

  async sign(options: ChannelTokenOptions, defaults: { appId: string; serviceUrl: string }): Promise<string> {
    const published = options.kid === undefined ? undefined : this.published.find((k) => k.kid === options.kid)
    const key = options.unendorsed ? this.unendorsed : options.key === 'stranger' ? this.stranger : (published ?? this.signing)
    const kid = options.kid ?? (options.key === 'stranger' ? this.signing.kid : key.kid)
    const now = Math.floor(Date.now() / 1000)
    // Claim names and set as the channel sends them; there is no iat.
    const claims: Record<string, unknown> = {
      serviceurl: options.serviceUrl ?? defaults.serviceUrl,
      nbf: now + (options.notBefore ?? 0),
      exp: now + (options.expiresIn ?? 3600),
      iss: options.iss ?? CHANNEL_ISSUER,
      aud: options.aud ?? defaults.appId,
      ...options.claims,
    }
    for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name]
    const alg = options.alg ?? 'RS256'
    if (alg === 'none') {
      const encode = (value: unknown) => base64url.encode(JSON.stringify(value))
      return `${encode({ alg: 'none', typ: 'JWT', kid })}.${encode(claims)}.`
    }
    const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', kid, ...(alg === 'RS256' ? { x5t: kid } : {}) })
    return alg === 'HS256' ? jwt.sign(new TextEncoder().encode(key.publicPem)) : jwt.sign(key.privateKey)
  }
}

export interface IssuedToken {
  token: string
  appId: string
  audience: string
  expiresAt: number
}

/** Plays Azure AD for client_credentials: signs access tokens with its own key, never the channel's. */
export class AadTokens {
  readonly issued = new Map<string, IssuedToken>()
  private constructor(private readonly key: CryptoKey, private readonly kid: string) {}

  static async create(): Promise<AadTokens> {
    const key = await (aadKey ??= generateKeyPair('RS256').then((pair) => pair.privateKey))
    return new AadTokens(key, newKid())
  }

  async issue(appId: string, resource: string, tenantId: string, ttlSeconds: number, nowMs: number): Promise<IssuedToken> {
    const now = Math.floor(nowMs / 1000)
    // v1 token shape, which is what api.botframework.com accepts.
    const token = await new SignJWT({
      aud: resource,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + ttlSeconds,
      appid: appId,
      appidacr: '1',
      idp: `https://sts.windows.net/${tenantId}/`,
      tid: tenantId,
      oid: randomUUID(),
      sub: randomUUID(),
      ver: '1.0',
      uti: base64url.encode(randomBytes(16)),
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid, x5t: this.kid })
      .sign(this.key)
    const issued = { token, appId, audience: resource, expiresAt: (now + ttlSeconds) * 1000 }
    this.issued.set(token, issued)
    return issued
  }

  /** Makes every token issued so far expired, without waiting for it. */
  expireAll(nowMs: number): void {
    for (const t of this.issued.values()) t.expiresAt = Math.min(t.expiresAt, nowMs - 1)
  }
}

/** AAD's error envelope, with the AADSTS code repeated in the description the way AAD does. */
export function aadError(error: string, code: number, message: string, nowMs: number) {
  const traceId = randomUUID()
  const correlationId = randomUUID()
  const timestamp = new Date(nowMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
  return {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  }
}
