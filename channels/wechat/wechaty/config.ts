import { z } from 'zod'
import { secret } from '../../../core/index.js'

/**
 * Puppet packages by name only (`wechaty-puppet-service`, `@juzibot/wechaty-puppet-donut`): the
 * name is imported at start, so a path, a URL or any other installed package is refused rather
 * than executed.
 */
const PUPPET_PACKAGE = /^(@[a-z0-9][a-z0-9._-]*\/)?wechaty-puppet-[a-z0-9][a-z0-9._-]*$/

/** True when `name` resolves from here, without loading it (a resolve costs nothing; an import of wechaty costs up to a second). */
export function puppetInstalled(name: string): boolean {
  try {
    import.meta.resolve(name)
    return true
  } catch {
    return false
  }
}

const puppet = z
  .string()
  .regex(PUPPET_PACKAGE, 'a puppet is the npm package name of a Wechaty puppet, e.g. wechaty-puppet-service')
  .superRefine((name, ctx) => {
    // Checked while the config is validated, so the operator sees the tenant file and the path.
    if (!puppetInstalled(name)) ctx.addIssue({ code: 'custom', message: `puppet package "${name}" is not installed; the gateway never downloads one: run npm install ${name} where it runs` })
  })

/** A send budget: `points` sends per `seconds`. */
const rule = z.object({ points: z.number().int().min(1), seconds: z.number().int().min(1) }).strict()

/**
 * WeChat publishes no send limits for personal or WeCom accounts driven by a puppet, and bans
 * accounts that burst; these defaults keep to a pace a person could type at.
 */
const Limits = z
  .object({
    /** Per chat (a contact or a room). */
    chat: rule.default({ points: 1, seconds: 1 }),
    /** Per room, on top of `chat`. */
    room: rule.default({ points: 20, seconds: 60 }),
    /** The whole account. */
    account: rule.default({ points: 60, seconds: 60 }),
  })
  .strict()

/**
 * Wechaty has no redelivery: a message the inbox could not take (database briefly down, tenant
 * over its message budget) is retried here, then given up with an error log and a metric.
 */
const ReceiveRetry = z
  .object({
    attempts: z.number().int().min(1).max(20).default(6),
    minDelayMs: z.number().int().min(10).max(60_000).default(250),
    maxDelayMs: z.number().int().min(10).max(600_000).default(10_000),
  })
  .strict()

/** A WeChat account reached through a Wechaty puppet (see the channel README for which are fit for production). */
export const WechatyConfig = z
  .object({
    transport: z.literal('wechaty'),
    /** The puppet's npm package; it must be installed next to the gateway. */
    puppet,
    /** The puppet service token (`puppet_…` for wechaty-puppet-service); write `${env:…}` or `${file:…}`. */
    puppetToken: secret().optional(),
    /** Handed to the puppet's constructor as is (e.g. `endpoint`, `tls`); its token goes in `puppetToken`, which is redacted. */
    puppetOptions: z
      .record(z.string(), z.unknown())
      .refine((options) => !('token' in options), 'put the token in puppetToken (a secret), not in puppetOptions')
      .default({}),
    /** The bot's memory-card name; defaults to `switchboard-<tenant>-<instance>`. */
    name: z.string().trim().min(1).max(100).optional(),
    /** Room (group chat) messages: only those that @-mention the account, all of them, or none. */
    rooms: z.enum(['mentioned', 'all', 'off']).default('mentioned'),
    limits: Limits.prefault({}),
    receiveRetry: ReceiveRetry.prefault({}),
    /**
     * After this long without a heartbeat (or a message) from the puppet the channel reports itself
     * down; wechaty-puppet's own watchdog resets a puppet silent for 60 s.
     */
    heartbeatTimeoutSeconds: z.number().int().min(10).max(3600).default(180),
  })
  .strict()
export type WechatyConfig = z.infer<typeof WechatyConfig>
