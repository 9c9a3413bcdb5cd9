import { z } from 'zod'
import { secret } from './secret.js'

export const GatewayConfig = z
  .object({
    server: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: z.coerce.number().int().min(0).max(65535).default(8080),
        /** How long SIGTERM waits for in-flight turns before closing anyway. */
        shutdownGraceMs: z.coerce.number().int().min(0).max(120_000).default(10_000),
        /** Read client addresses from X-Forwarded-For (behind a trusted proxy only). */
        trustProxy: z.boolean().default(false),
      })
      .strict()
      .default({ host: '0.0.0.0', port: 8080, shutdownGraceMs: 10_000, trustProxy: false }),
    storage: z
      .object({
        /** Embedded database and generated keys live here when no DATABASE_URL is given. */
        dataDir: z.string().min(1).default('./data'),
        databaseUrl: secret().optional(),
        /** Shares rate limits (and later locks and queues) between replicas; in memory without it. */
        redisUrl: secret().optional(),
      })
      .strict()
      .default({ dataDir: './data' }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
    /** Serve only this tenant (one instance per tenant deployments). */
    tenant: z.string().optional(),
    inbox: z
      .object({
        /** Dedup keys are kept this long after a turn completes (Telegram redelivers for 24 h). */
        retentionHours: z.number().int().min(24).default(48),
        /** A turn that failed this many times across restarts is set aside as failed. */
        maxAttempts: z.number().int().min(1).default(3),
      })
      .strict()
      .default({ retentionHours: 48, maxAttempts: 3 }),
    turns: z
      .object({
        timeoutMs: z.number().int().min(100).default(30_000),
        /** A typing indicator is shown once a turn has run this long. */
        typingDelayMs: z.number().int().min(0).default(300),
      })
      .strict()
      .default({ timeoutMs: 30_000, typingDelayMs: 300 }),
    admin: z
      .object({
        /** The admin API at /admin/v1 (API keys and OIDC; nothing is reachable without credentials). */
        enabled: z.boolean().default(true),
        bodyLimitBytes: z.number().int().min(1024).max(10_000_000).default(262_144),
        /** Sign-in with an identity provider: bearer JWTs verified against its JWKS. */
        oidc: z
          .object({
            issuer: z.url(),
            audience: z.string().min(1),
            jwksUri: z.url(),
            tenantClaim: z.string().default('switchboard_tenant'),
            rolesClaim: z.string().default('switchboard_roles'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ enabled: true, bodyLimitBytes: 262_144 }),
    /** Signs web-chat session tokens; generated and kept in the data folder when absent. */
    sessionSecret: secret(32).optional(),
  })
  .strict()
export type GatewayConfig = z.infer<typeof GatewayConfig>
