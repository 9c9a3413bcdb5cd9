import { randomBytes } from 'node:crypto'

interface Issued {
  owner: string
  expiresAt: number
  /** Set once a newer token replaced this one: it keeps working until then. */
  replacedUntil?: number
}

export type TokenCheck = { owner: string } | { problem: 'invalid' | 'expired' }

/**
 * access_tokens per app. An OA fetch issues a new token and the previous one keeps working for an
 * overlap (5 min); WeCom (and a non-forced stable_token) returns the current token while it lives.
 * Tokens are long, as WeChat asks callers to store at least 512 characters.
 */
export class AccessTokens {
  readonly #tokens = new Map<string, Issued>()
  readonly #current = new Map<string, string>()
  /** Successful token responses, per owner. */
  readonly #responses = new Map<string, number>()

  constructor(
    private readonly now: () => number,
    private readonly ttlSeconds: number,
    private readonly overlapMs: number,
  ) {}

  rotate(owner: string): { access_token: string; expires_in: number } {
    const now = this.now()
    const previous = this.#tokens.get(this.#current.get(owner) ?? '')
    if (previous) previous.replacedUntil = Math.min(previous.expiresAt, now + this.overlapMs)
    const token = randomBytes(120).toString('base64url')
    this.#tokens.set(token, { owner, expiresAt: now + this.ttlSeconds * 1000 })
    this.#current.set(owner, token)
    return this.#respond(owner, token)
  }

  current(owner: string): { access_token: string; expires_in: number } {
    const token = this.#current.get(owner)
    const issued = token === undefined ? undefined : this.#tokens.get(token)
    return issued && issued.expiresAt > this.now() ? this.#respond(owner, token!) : this.rotate(owner)
  }

  check(token: string): TokenCheck {
    const issued = this.#tokens.get(token)
    if (!issued) return { problem: 'invalid' }
    const now = this.now()
    if (issued.replacedUntil !== undefined && issued.replacedUntil <= now) return { problem: issued.replacedUntil < issued.expiresAt ? 'invalid' : 'expired' }
    if (issued.expiresAt <= now) return { problem: 'expired' }
    return { owner: issued.owner }
  }

  /** Every token issued so far is now expired (42001), as after two hours. */
  expireAll(): void {
    const now = this.now()
    for (const issued of this.#tokens.values()) issued.expiresAt = Math.min(issued.expiresAt, now)
  }

  responses(owner?: string): number {
    if (owner !== undefined) return this.#responses.get(owner) ?? 0
    return [...this.#responses.values()].reduce((sum, n) => sum + n, 0)
  }

  #respond(owner: string, token: string) {
    this.#responses.set(owner, (this.#responses.get(owner) ?? 0) + 1)
    const expiresIn = Math.max(0, Math.round((this.#tokens.get(token)!.expiresAt - this.now()) / 1000))
    return { access_token: token, expires_in: expiresIn }
  }
}
