/**
 * Everything this channel takes from the Bot Framework SDK lives here, so replacing botbuilder
 * (archived upstream) with the Microsoft 365 Agents SDK touches this file only.
 *
 * Inbound: botbuilder's `BotFrameworkAuthentication.authenticateRequest` — the call
 * `CloudAdapter.process` makes — validates the channel's JWT (signature, issuer, audience,
 * lifetime with 5 min skew, serviceUrl claim, endorsements). Cheap checks run first, so that what
 * botbuilder would mishandle never reaches it (see TeamsAuth).
 *
 * Outbound: a thin connector client (keep-alive HTTP, cached token) instead of botbuilder's
 * per-turn ConnectorClient, which costs ~0.9 ms CPU per activity (notes/performance.md).
 */
import type { Activity, ConfigurationBotFrameworkAuthentication } from 'botbuilder'
import { retryAfterMs, type AccessTokens, type HttpResponse, type KeepAliveHttp } from '../../core/index.js'
import type { WireActivity } from './inbound.js'
import { KeysUnavailable, type SigningKeys } from './signing-keys.js'

/** `iss` of every token the Bot Framework channel service sends to a bot. */
export const CHANNEL_ISSUER = 'https://api.botframework.com'
/** The connector's resource: outbound tokens are requested for it. */
export const CONNECTOR_SCOPE = 'https://api.botframework.com/.default'
const TEAMS_CHANNEL = 'msteams'

/** Tokens remembered as validated; Teams uses one per region and app at a time, so this is plenty. */
const MAX_VALIDATED_TOKENS = 1000

export type AuthVerdict = { ok: true } | { ok: false; status: 401 | 403 | 503; reason: string }

/**
 * botbuilder takes ~0.5 s to load; it is loaded when a Teams channel starts, not whenever the
 * plugin registry is imported (every CLI command imports it).
 */
let botbuilder: Promise<typeof import('botbuilder')> | undefined
const loadBotbuilder = () => (botbuilder ??= import('botbuilder'))

type CredentialsFactory = NonNullable<ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[1]>
type AuthConfiguration = NonNullable<ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[2]>

export interface TeamsAuthOptions {
  appId: string
  appTenantId?: string
  openIdMetadataUrl: string
  timeoutMs: number
}

/**
 * Decides whether an activity really comes from Teams. There is no switch to turn it off.
 *
 * Before botbuilder sees a token, this refuses, without any signature check:
 * - anything but `Bearer <jwt>` with alg RS256 and the channel's issuer — which also closes
 *   botbuilder's emulator, skill and ASE paths (validated against other metadata, and the
 *   emulator check appends to a process-global issuer list for every new `tid` it sees);
 * - activities whose channelId is not `msteams`;
 * - keys the channel does not publish (one rate-limited refetch first) or does not endorse for
 *   Teams (403).
 * botbuilder fetches keys from the same metadata, but refetches an unknown kid at most once an
 * hour; its metadata URL is therefore versioned by the key set we saw (a fragment, never sent),
 * so a rotation reaches botbuilder at once.
 */
export class TeamsAuth {
  #botbuilder: { version: string; auth: ConfigurationBotFrameworkAuthentication } | undefined
  readonly #credentials: CredentialsFactory
  readonly #validated = new Map<string, { keys: string | undefined; expiresAt: number; serviceUrl: string }>()
  readonly #metadataUrl: string

  constructor(
    private readonly options: TeamsAuthOptions,
    private readonly keys: SigningKeys,
  ) {
    const { appId } = options
    loadBotbuilder().catch(() => {
      // Reported by the first verification that needs it.
    })
    this.#metadataUrl = options.openIdMetadataUrl.split('#')[0]!
    this.#credentials = {
      isValidAppId: async (candidate: string) => candidate === appId,
      isAuthenticationDisabled: async () => false,
      createCredentials: async () => {
        throw new Error('replies go through the Teams channel connector client, not botbuilder')
      },
    }
  }

  async verify(activity: WireActivity, authorization: string | undefined): Promise<AuthVerdict> {
    const bearer = /^Bearer ([A-Za-z0-9_\-.]+=*)$/.exec(authorization ?? '')
    if (!bearer) return deny(401, authorization ? 'the Authorization header is not a Bearer token' : 'no Authorization header')
    if (activity.channelId !== TEAMS_CHANNEL) return deny(403, `channelId ${JSON.stringify(activity.channelId)} is not ${TEAMS_CHANNEL}`)
    const token = decodeJwt(bearer[1]!)
    if (!token) return deny(401, 'the bearer token is not a JWT')
    if (token.header.alg !== 'RS256') return deny(401, `token algorithm ${JSON.stringify(token.header.alg)} is not RS256`)
    if (token.payload.iss !== CHANNEL_ISSUER) return deny(401, `token issuer ${JSON.stringify(token.payload.iss)} is not the Bot Framework channel`)
    if (typeof token.header.kid !== 'string') return deny(401, 'the token names no signing key')
    let key
    try {
      key = await this.keys.find(token.header.kid)
    } catch (error) {
      return deny(503, `signing keys unavailable: ${(error as Error).message}`)
    }
    if (!key) return deny(401, `signing key ${token.header.kid} is not published by the channel`)
    if (!key.endorsements.includes(TEAMS_CHANNEL)) return deny(403, `signing key ${key.kid} is not endorsed for ${TEAMS_CHANNEL}`)

    // Teams sends the same token for about an hour: one full validation per token, not per message.
    const seen = this.#validated.get(bearer[1]!)
    if (seen && seen.keys === this.keys.version && seen.expiresAt > Date.now() && seen.serviceUrl === activity.serviceUrl) return { ok: true }

    let auth: ConfigurationBotFrameworkAuthentication
    try {
      auth = await this.#auth()
    } catch (error) {
      return deny(503, `token validation unavailable: ${(error as Error).message}`)
    }
    try {
      await withTimeout(auth.authenticateRequest(activity as unknown as Activity, authorization!), this.options.timeoutMs)
      this.#remember(bearer[1]!, token.payload, activity.serviceUrl)
      return { ok: true }
    } catch (error) {
      return classify(error)
    }
  }

  /**
   * A token botbuilder accepted (signature, audience, lifetime, serviceurl claim) stays accepted
   * until its `exp`, for the same serviceUrl and while the key set is unchanged; everything cheap
   * (channel, issuer, a published and endorsed key) is still checked on every request.
   */
  #remember(token: string, claims: Record<string, unknown>, serviceUrl: string): void {
    if (typeof claims.exp !== 'number') return
    this.#validated.delete(token)
    this.#validated.set(token, { keys: this.keys.version, expiresAt: claims.exp * 1000, serviceUrl })
    if (this.#validated.size > MAX_VALIDATED_TOKENS) this.#validated.delete(this.#validated.keys().next().value!)
  }

  async #auth(): Promise<ConfigurationBotFrameworkAuthentication> {
    const version = this.keys.version ?? 'none'
    if (this.#botbuilder?.version === version) return this.#botbuilder.auth
    const { ConfigurationBotFrameworkAuthentication } = await loadBotbuilder()
    const metadataUrl = `${this.#metadataUrl}#keys=${version}`
    const auth = new ConfigurationBotFrameworkAuthentication(
      {
        MicrosoftAppId: this.options.appId,
        ...(this.options.appTenantId ? { MicrosoftAppTenantId: this.options.appTenantId } : {}),
        // Setting any of these makes botbuilder "parameterized": every one must then be set.
        ToBotFromChannelOpenIdMetadataUrl: metadataUrl,
        ToBotFromChannelTokenIssuer: CHANNEL_ISSUER,
        // Emulator tokens are refused before botbuilder; pointed at the channel's keys all the same.
        ToBotFromEmulatorOpenIdMetadataUrl: metadataUrl,
        // Outbound settings botbuilder insists on; replies never use them.
        ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
        ToChannelFromBotOAuthScope: CHANNEL_ISSUER,
        OAuthUrl: CHANNEL_ISSUER,
        CallerId: 'urn:botframework:azure',
        ValidateAuthority: true,
      },
      this.#credentials,
      { requiredEndorsements: [TEAMS_CHANNEL] } satisfies AuthConfiguration,
    )
    this.#botbuilder = { version, auth }
    return auth
  }
}

const deny = (status: 401 | 403 | 503, reason: string): AuthVerdict => ({ ok: false, status, reason })

class AuthTimeout extends Error {}

/**
 * botbuilder's failures, as statuses Teams understands. It throws AuthenticationError (with a
 * statusCode) for most, but jsonwebtoken's own errors (bad signature, not yet valid) pass through
 * untyped — CloudAdapter.process answers those with 500, which Teams would retry forever.
 */
function classify(error: unknown): AuthVerdict {
  if (error instanceof AuthTimeout || error instanceof KeysUnavailable) return deny(503, (error as Error).message)
  const message = error instanceof Error ? error.message : String(error)
  if (/endorsement/i.test(message)) return deny(403, message)
  // botbuilder's own key fetch failed ("Failed to load openID config/Keys"): not the sender's fault.
  if ((error as { statusCode?: unknown }).statusCode === 500) return deny(503, message)
  return deny(401, message)
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new AuthTimeout(`token validation took over ${ms} ms`)), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

interface DecodedJwt {
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

/** Header and claims, unverified: only for refusing early what could never verify. */
function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown
    if (!isRecord(header) || !isRecord(payload)) return undefined
    return { header, payload }
  } catch {
    return undefined
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The connector's answer to one POST. */
export interface ConnectorAnswer {
  status: number
  /** The ResourceResponse id (absent when Teams split a text+attachment activity). */
  id?: string
  retryAfterMs?: number
  /** `X-Correlating-OperationId`, for Microsoft support. */
  operationId?: string
  /** ErrorResponse `error.code`, e.g. MessageSizeTooBig, Throttled. */
  code?: string
  message?: string
}

/**
 * The Bot Connector REST API, as much of it as the channel uses: POST an activity to a
 * conversation. Throws HttpFailure when no answer came and TokenUnavailable when nothing was sent.
 */
export class ConnectorClient {
  constructor(
    private readonly http: KeepAliveHttp,
    private readonly tokens: AccessTokens,
  ) {}

  async send(serviceUrl: string, conversationId: string, activity: Record<string, unknown>): Promise<ConnectorAnswer> {
    const base = serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`
    // Teams conversation ids hold ':', ';' and '@' (`19:…@thread.skype;messageid=…`).
    const url = `${base}v3/conversations/${encodeURIComponent(conversationId)}/activities`
    const body = JSON.stringify(activity)
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.get()
      const response = await this.http.request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        body,
      })
      // A 401 was refused at the door, so sending again with a fresh token cannot double-post.
      if (response.status === 401 && attempt === 1) {
        await this.tokens.invalidate(token)
        continue
      }
      return answerOf(response)
    }
  }
}

function answerOf(response: HttpResponse): ConnectorAnswer {
  let body: unknown
  try {
    body = response.body === '' ? undefined : JSON.parse(response.body)
  } catch {
    body = undefined
  }
  const operationId = response.headers['x-correlating-operationid']
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined
  const retryAfter = retryAfterMs(response.headers)
  return {
    status: response.status,
    ...(isRecord(body) && typeof body.id === 'string' ? { id: body.id } : {}),
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    ...(typeof operationId === 'string' ? { operationId } : {}),
    ...(error && typeof error.code === 'string' ? { code: error.code } : {}),
    ...(error && typeof error.message === 'string' ? { message: error.message } : {}),
  }
}
