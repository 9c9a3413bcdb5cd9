import { z } from 'zod'
import { TICKET_PRIORITIES, Tokens, type AgentManifest } from '../../core/index.js'

const Priority = z.enum(TICKET_PRIORITIES)
const VipLevelKey = z.string().regex(/^[1-9]$/, 'a VIP level 1–9')
const Minutes = z.number().positive().max(525_600)
const ByPriority = z.object({ low: Minutes.optional(), medium: Minutes.optional(), high: Minutes.optional(), urgent: Minutes.optional() }).strict()

export const TicketingConfig = z
  .object({
    /** `T` numbers tickets `T-1042`; customers quote it, so keep it short. */
    prefix: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{0,7}$/, 'one to eight capital letters or digits, starting with a letter')
      .default('T'),
    /** Overrides of the default SLA clocks, in minutes by priority; VIP levels tighten both by a factor. */
    sla: z
      .object({
        firstResponseMinutes: ByPriority.default({}),
        resolveMinutes: ByPriority.default({}),
        vipFactor: z.record(VipLevelKey, z.number().gt(0).max(1)).default({}),
      })
      .strict()
      .default({ firstResponseMinutes: {}, resolveMinutes: {}, vipFactor: {} }),
    /** When the bot opens a ticket by itself. */
    create: z
      .object({
        /** A plugin decided a human should take over (the customer asked, or is upset). */
        onEscalation: z.boolean().default(true),
        /** The customer complained. */
        onComplaint: z.boolean().default(true),
        /** The bot could not answer this many turns in a row; `false` never. */
        onUnresolved: z
          .union([z.literal(false), z.object({ afterTurns: z.number().int().min(1).max(20).default(2) }).strict()])
          .default({ afterTurns: 2 }),
      })
      .strict()
      .default({ onEscalation: true, onComplaint: true, onUnresolved: { afterTurns: 2 } }),
    /** A new ticket's priority by why it was opened, raised (never lowered) for VIPs. */
    priority: z
      .object({
        complaint: Priority.default('high'),
        escalation: Priority.default('medium'),
        unresolved: Priority.default('low'),
        /** VIP level → at least this priority; a level without an entry takes the next lower level's. */
        vip: z.record(VipLevelKey, Priority).default({}),
      })
      .strict()
      .default({ complaint: 'high', escalation: 'medium', unresolved: 'low', vip: {} }),
    /** Tell the customer their ticket number on their channel. */
    notifyCustomer: z.boolean().default(true),
  })
  .strict()
export type TicketingConfig = z.infer<typeof TicketingConfig>

export const manifest = {
  kind: 'agent',
  id: 'ticketing',
  label: 'Tickets with SLA clocks',
  version: '1.0.0',
  config: TicketingConfig,
  stages: ['inbound'],
  gatewayOnly: true,
  provides: [Tokens.TicketPolicy],
} satisfies AgentManifest<typeof TicketingConfig>
