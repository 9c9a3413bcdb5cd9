import type { InjectionToken } from 'tsyringe'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/gateway-schema.js'
import type { TenantConfig } from '../config/tenant-schema.js'
import type { DeliveryEngine } from '../delivery/engine.js'
import type { KeyedSerialQueue } from '../delivery/keyed-serial-queue.js'
import type { Metrics } from '../observability/metrics.js'
import type { PluginRegistry } from '../plugin/registry.js'
import type { Clock } from '../clock.js'
import type { ConversationRepository } from '../store/conversations.js'
import type { Database } from '../store/database.js'
import type { DeliveryStore } from '../store/delivery-store.js'
import type { TranscriptRepository } from '../store/transcript.js'
import type { Scope } from './scope.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { TenantLimits } from '../limits/tenant-limits.js'
import type { Redis } from 'ioredis'
import type { CustomerStore, HandoffDesk, HandoffStore, NoteStore, SupportEvents, TicketStore, VipLookup } from '../support/ports.js'
import type { TicketPolicy } from '../support/sla.js'

const token = <T>(name: string): InjectionToken<T> => Symbol.for(`switchboard.${name}`) as InjectionToken<T>

/**
 * Every injection token, in one greppable file. Root tokens live in the root container; tenant and
 * channel tokens are registered in the child (tenant) and grandchild (channel instance) containers.
 */
export const Tokens = {
  // root
  GatewayConfig: token<GatewayConfig>('GatewayConfig'),
  Logger: token<Logger>('Logger'),
  Metrics: token<Metrics>('Metrics'),
  Clock: token<Clock>('Clock'),
  Database: token<Database>('Database'),
  Conversations: token<ConversationRepository>('Conversations'),
  Transcript: token<TranscriptRepository>('Transcript'),
  DeliveryStore: token<DeliveryStore>('DeliveryStore'),
  ConversationQueue: token<KeyedSerialQueue>('ConversationQueue'),
  Delivery: token<DeliveryEngine>('Delivery'),
  Plugins: token<PluginRegistry>('Plugins'),
  Audit: token<AuditLog>('Audit'),
  Limits: token<TenantLimits>('Limits'),
  /** Registered only when the gateway has a Redis (REDIS_URL): state shared by every replica. */
  Redis: token<Redis>('Redis'),
  RootScope: token<Scope>('RootScope'),
  /** Signs session tokens (web chat); the same on every replica. */
  SessionSecret: token<Uint8Array>('SessionSecret'),
  Customers: token<CustomerStore>('Customers'),
  Tickets: token<TicketStore>('Tickets'),
  Handoffs: token<HandoffStore>('Handoffs'),
  Notes: token<NoteStore>('Notes'),
  SupportEvents: token<SupportEvents>('SupportEvents'),
  // tenant (child container)
  TenantId: token<string>('TenantId'),
  TenantConfig: token<TenantConfig>('TenantConfig'),
  TenantScope: token<Scope>('TenantScope'),
  TenantLogger: token<Logger>('TenantLogger'),
  // the tenant's plugins (TenantRuntime.services): provided by a plugin, absent when it is not enabled
  /** Provided by the handoff plugin: what agents do (the console and admin API call it). */
  HandoffDesk: token<HandoffDesk>('HandoffDesk'),
  /** Provided by the ticketing plugin: ticket numbers' prefix and SLA; core defaults otherwise. */
  TicketPolicy: token<TicketPolicy>('TicketPolicy'),
  /** Provided by any tenant plugin that knows its customers' VIP level (a CRM lookup). */
  VipLookup: token<VipLookup>('VipLookup'),
  // channel instance (grandchild container)
  ChannelInstance: token<string>('ChannelInstance'),
  ChannelScope: token<Scope>('ChannelScope'),
  ChannelLogger: token<Logger>('ChannelLogger'),
} as const
