import { createHash } from 'node:crypto'
import { HttpFailure, type KeepAliveHttp } from '../../core/index.js'

/** A key the channel may sign tokens with, and the channels (`msteams`, …) it is endorsed for. */
export interface SigningKey {
  kid: string
  endorsements: readonly string[]
}

/** The keys could not be fetched and none are cached: the sender should try again later (503). */
export class KeysUnavailable extends Error {
  override name = 'KeysUnavailable'
}

export interface SigningKeysOptions {
  /** Keys are refetched when older than this (the docs ask for at least once a day). */
  maxAgeMs?: number
  /** An unknown kid triggers at most one refetch per this long, so forged kids cannot flood the endpoint. */
  unknownKidCooldownMs?: number
  now?: () => number
}

interface Snapshot {
  keys: Map<string, SigningKey>
  fetchedAt: number
  version: string
}

/**
 * The Bot Framework channel's signing keys, from its OpenID metadata: cached, refreshed daily,
 * and refetched when a token names a key we have not seen (Microsoft publishes new keys at any
 * time). Concurrent lookups share one fetch. No timers: refreshes happen on demand.
 */
export class SigningKeys {
  #snapshot: Snapshot | undefined
  #inflight: Promise<Snapshot> | undefined
  #lastUnknownRefresh = Number.NEGATIVE_INFINITY
  readonly #maxAgeMs: number
  readonly #cooldownMs: number
  readonly #now: () => number

  constructor(
    private readonly metadataUrl: string,
    private readonly http: KeepAliveHttp,
    options: SigningKeysOptions = {},
  ) {
    this.#maxAgeMs = options.maxAgeMs ?? 24 * 3600_000
    this.#cooldownMs = options.unknownKidCooldownMs ?? 60_000
    this.#now = options.now ?? Date.now
  }

  /** Changes whenever the published key set does. */
  get version(): string | undefined {
    return this.#snapshot?.version
  }

  /** The key `kid` names, refetching once if it is unknown; undefined if it is not published. */
  async find(kid: string): Promise<SigningKey | undefined> {
    let snapshot = await this.#current()
    const known = snapshot.keys.get(kid)
    if (known) return known
    if (this.#now() - this.#lastUnknownRefresh < this.#cooldownMs) return undefined
    this.#lastUnknownRefresh = this.#now()
    snapshot = await this.#refresh().catch(() => snapshot)
    return snapshot.keys.get(kid)
  }

  async #current(): Promise<Snapshot> {
    const snapshot = this.#snapshot
    if (snapshot && this.#now() - snapshot.fetchedAt < this.#maxAgeMs) return snapshot
    // Stale keys still verify while the endpoint is down; only having none at all is fatal.
    return this.#refresh().catch((error: unknown) => {
      if (snapshot) return snapshot
      throw error
    })
  }

  #refresh(): Promise<Snapshot> {
    this.#inflight ??= this.#fetch().finally(() => (this.#inflight = undefined))
    return this.#inflight
  }

  async #fetch(): Promise<Snapshot> {
    const metadata = await this.#json(this.metadataUrl)
    const jwksUri = typeof metadata.jwks_uri === 'string' ? metadata.jwks_uri : undefined
    // The keys must come from where the metadata does: a metadata document is no licence to call elsewhere.
    if (!jwksUri || !URL.canParse(jwksUri) || new URL(jwksUri).origin !== new URL(this.metadataUrl).origin)
      throw new KeysUnavailable(`OpenID metadata at ${this.metadataUrl} names no usable jwks_uri`)
    const jwks = await this.#json(jwksUri)
    const keys = new Map<string, SigningKey>()
    for (const key of Array.isArray(jwks.keys) ? (jwks.keys as unknown[]) : []) {
      if (typeof key !== 'object' || key === null) continue
      const { kid, kty, endorsements } = key as Record<string, unknown>
      if (typeof kid !== 'string' || kty !== 'RSA') continue
      keys.set(kid, { kid, endorsements: Array.isArray(endorsements) ? endorsements.filter((e): e is string => typeof e === 'string') : [] })
    }
    if (keys.size === 0) throw new KeysUnavailable(`${jwksUri} publishes no RSA keys`)
    const version = createHash('sha256')
      .update(JSON.stringify([...keys.values()].sort((a, b) => a.kid.localeCompare(b.kid))))
      .digest('base64url')
      .slice(0, 16)
    this.#snapshot = { keys, fetchedAt: this.#now(), version }
    return this.#snapshot
  }

  async #json(url: string): Promise<Record<string, unknown>> {
    let response
    try {
      response = await this.http.request(url, { method: 'GET' })
    } catch (error) {
      throw new KeysUnavailable(error instanceof HttpFailure ? error.message : String(error))
    }
    if (response.status !== 200) throw new KeysUnavailable(`${url} answered ${response.status}`)
    try {
      const value: unknown = JSON.parse(response.body)
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
    } catch {
      // reported below
    }
    throw new KeysUnavailable(`${url} did not answer with a JSON object`)
  }
}
