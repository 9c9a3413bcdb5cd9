import { Tokens } from '../../di/tokens.js'
import { sbError } from '../../errors.js'
import { DEFAULT_TICKET_POLICY, type TicketPolicy } from '../../support/sla.js'
import type { HandoffDesk } from '../../support/ports.js'
import type { Actor } from '../../support/types.js'
import type { TenantRuntime } from '../../tenancy/tenant-runtime.js'
import type { Principal } from '../auth/rbac.js'

/** The person behind an admin call, as the desk and the ticket history name them. */
export const actorOf = (principal: Principal): Actor => ({ type: principal.kind, id: principal.id, ...(principal.name ? { name: principal.name } : {}) })

/** The tenant's handoff desk, from its current plugin generation (a reload replaces it). */
export function handoffDesk(tenant: TenantRuntime | undefined): HandoffDesk {
  const services = tenant?.services
  if (!services?.isRegistered(Tokens.HandoffDesk, true)) throw sbError('SB_ERR_HANDOFF_DISABLED', 'handoff to human agents is not enabled for this tenant (add the handoff plugin to its configuration)')
  return services.resolve(Tokens.HandoffDesk)
}

/** The ticketing plugin's numbering and SLA, or the defaults when the tenant has none. */
export function ticketPolicy(tenant: TenantRuntime | undefined): TicketPolicy {
  const services = tenant?.services
  return services?.isRegistered(Tokens.TicketPolicy, true) ? services.resolve(Tokens.TicketPolicy) : DEFAULT_TICKET_POLICY
}
