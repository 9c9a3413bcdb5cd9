import { z } from 'zod'
import { secret, type ChannelManifest } from '../../core/index.js'

/** A send budget: `points` sends per `seconds`. */
const rule = z.object({ points: z.number().int().min(1), seconds: z.number().int().min(1) }).strict()

/**
 * Teams' documented send limits (msteams-docs rate-limit.md), "subject to change", hence config.
 * The governor keeps the gateway under them so Teams rarely has to answer 429.
 */
const Limits = z
  .object({
    /** Per bot per conversation (thread): 7/1 s, 8/2 s, 60/30 s, 1800/h. Every window applies. */
    perThread: z.array(rule).min(1).default([
      { points: 7, seconds: 1 },
      { points: 8, seconds: 2 },
      { points: 60, seconds: 30 },
      { points: 1800, seconds: 3600 },
    ]),
    /** Per app across all conversations: 50 requests per second (Microsoft Q&A; an older page says 30). */
    perApp: z.array(rule).min(1).default([{ points: 50, seconds: 1 }]),
    /**
     * Windows of a minute or less are also checked as sliding windows over this replica's sends,
     * each widened by this much: the time a request takes to reach Teams, whose clock counts.
     */
    marginMs: z.number().int().min(0).max(5000).default(250),
  })
  .strict()

/** How sends Teams asks us to repeat (412, 502, 504) or that never left (refused connection) are retried. */
const Retry = z
  .object({
    /** Attempts of one reply before it is marked failed; a 429 is always waited out and never counts. */
    attempts: z.number().int().min(1).max(20).default(4),
    /** First backoff; it doubles per attempt, ±20 % jitter (Microsoft's sample policy: 2 s to 20 s). */
    minDelayMs: z.number().int().min(10).max(60_000).default(2000),
    maxDelayMs: z.number().int().min(10).max(600_000).default(20_000),
  })
  .strict()

/**
 * Where Teams' Bot Connector lives. Replies go to the `serviceUrl` an activity names, so only these
 * prefixes are ever called with the bot's token (SSRF). Public cloud regions are paths under
 * smba.trafficmanager.net (`/amer/`, `/emea/`, `/apac/`, `/teams/`…); GCC tenants use the public
 * Bot Framework with their own connector host.
 */
export const DEFAULT_SERVICE_URLS = ['https://smba.trafficmanager.net/', 'https://smba.infra.gcc.teams.microsoft.com/']
export const DEFAULT_OPENID_METADATA_URL = 'https://login.botframework.com/v1/.well-known/openidconfiguration'

const httpUrl = z.url({ protocol: /^https?$/ })

export const TeamsConfig = z
  .object({
    /** The bot's Microsoft App ID (Entra app registration): the `aud` every inbound token must carry. */
    appId: z.string().trim().min(1),
    /** The app registration's client secret; write `${env:…}` or `${file:…}`. */
    appPassword: secret(),
    /** Single-tenant bots (the only kind Azure creates since mid-2025) get tokens from their own tenant. */
    appTenantId: z.string().trim().min(1).optional(),
    /** Where the channel's signing keys are published; only tests point it elsewhere. Validation cannot be turned off. */
    openIdMetadataUrl: httpUrl.default(DEFAULT_OPENID_METADATA_URL),
    /** The client_credentials endpoint; default derived from appTenantId (see tokenEndpoint). */
    tokenUrl: httpUrl.optional(),
    /** Connector URL prefixes replies may go to; an activity naming another serviceUrl is refused. */
    serviceUrls: z.array(httpUrl).min(1).default(DEFAULT_SERVICE_URLS),
    limits: Limits.prefault({}),
    retry: Retry.prefault({}),
    /** Larger activity bodies get 413 (Teams messages are at most ~100 KB). */
    maxBodyBytes: z.number().int().min(1024).max(16 * 1_048_576).default(1_048_576),
    /**
     * Largest activity we send, as UTF-16 bytes of its JSON (Teams measures so, and answers 413
     * MessageSizeTooBig above its limit: 40 KB historically, ~100 KB today). A card above it is
     * sent as text instead; a text above it is split.
     */
    maxMessageBytes: z.number().int().min(4096).max(262_144).default(40_000),
    /** Every call to the connector, token endpoint or key endpoint is abandoned after this long. */
    requestTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Teams shows "typing…" for 3 s; repeated this often while a turn runs (never more often than every 2 s). */
    typingIntervalMs: z.number().int().min(2000).max(60_000).default(3000),
    /** A typing indicator whose "off" never came stops repeating after this long. */
    typingMaxMs: z.number().int().min(1000).max(600_000).default(60_000),
  })
  .strict()
  .refine((c) => c.retry.minDelayMs <= c.retry.maxDelayMs, { path: ['retry', 'maxDelayMs'], message: 'must be at least retry.minDelayMs' })
export type TeamsConfig = z.infer<typeof TeamsConfig>

/** The token endpoint: multi-tenant bots use the botframework.com authority, single-tenant bots their own. */
export const tokenEndpoint = (config: Pick<TeamsConfig, 'tokenUrl' | 'appTenantId'>): string =>
  config.tokenUrl ?? `https://login.microsoftonline.com/${encodeURIComponent(config.appTenantId ?? 'botframework.com')}/oauth2/v2.0/token`

export const manifest = {
  kind: 'channel',
  id: 'teams',
  endpoint: () => '/messages',
  label: 'Microsoft Teams',
  version: '1.0.0',
  config: TeamsConfig,
  capabilities: {
    parts: ['text', 'image', 'file', 'card', 'choice'],
    // 9,000 UTF-16 units: 18,000 bytes as UTF-16, 36,000 if JSON escaping doubled every character,
    // plus the activity envelope, stays under the 40,000-byte default of maxMessageBytes.
    maxTextLength: 9000,
    typing: true,
  },
} satisfies ChannelManifest<typeof TeamsConfig>
