import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
}

export interface SignOptions {
  /** Relative to now: a jose duration ('5m', '-1h') or seconds (negative for the past); null for no exp claim. Default 5 minutes. */
  expiresIn?: string | number | null
  /** Header kid; default the current key's. */
  kid?: string
  /** Default the issuer's own URL. */
  issuer?: string
  /** Default the audience given at start. */
  audience?: string
  /** 'stranger' signs with a key the issuer never published, under the same kid: a forgery. */
  key?: 'issuer' | 'stranger'
}

const ALG = 'RS256'

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG)
  const kid = randomBytes(8).toString('hex')
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' } }
}

/**
 * A local OpenID provider as far as a relying party can tell: discovery document and JWKS over
 * HTTP on 127.0.0.1, RS256 keys made at start, rotation that keeps older keys published the way
 * real providers do while tokens signed with them are still in flight.
 */
export class FakeOidcIssuer {
  /** How many times the JWKS was fetched, to observe a verifier's caching. */
  jwksRequests = 0
  readonly #keys: SigningKey[]
  readonly #stranger: SigningKey

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly audience: string,
    first: SigningKey,
    stranger: SigningKey,
  ) {
    this.#keys = [first]
    this.#stranger = stranger
  }

  static async start(options: { audience?: string } = {}): Promise<FakeOidcIssuer> {
    const [first, stranger] = await Promise.all([newKey(), newKey()])
    let issuer: FakeOidcIssuer | undefined
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        res.end(JSON.stringify(body))
      }
      if (req.method !== 'GET' || !issuer) return json(404, { error: 'not_found' })
      if (path === '/.well-known/openid-configuration')
        return json(200, {
          issuer: issuer.issuer,
          jwks_uri: issuer.jwksUri,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [ALG],
        })
      if (path === '/jwks') {
        issuer.jwksRequests++
        return json(200, { keys: issuer.#keys.map((k) => k.publicJwk) })
      }
      json(404, { error: 'not_found' })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const { port } = server.address() as AddressInfo
    issuer = new FakeOidcIssuer(server, `http://127.0.0.1:${port}`, options.audience ?? 'switchboard', first, stranger)
    return issuer
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`
  }

  get discoveryUrl(): string {
    return `${this.issuer}/.well-known/openid-configuration`
  }

  /** The kid new tokens are signed with. */
  get currentKid(): string {
    return this.#current.kid
  }

  get #current(): SigningKey {
    return this.#keys.at(-1)!
  }

  async sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const key = options.key === 'stranger' ? this.#stranger : this.#current
    const expiresIn = options.expiresIn === undefined ? '5m' : options.expiresIn
    const now = Math.floor(Date.now() / 1000)
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: options.kid ?? this.#current.kid })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setIssuedAt(now)
    if (expiresIn !== null) jwt.setExpirationTime(typeof expiresIn === 'number' ? now + expiresIn : expiresIn)
    return jwt.sign(key.privateKey)
  }

  /** Publishes a new key and signs with it from now on; returns its kid. */
  async rotate(): Promise<string> {
    const key = await newKey()
    this.#keys.push(key)
    return key.kid
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())))
  }
}
