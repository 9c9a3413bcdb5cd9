import type { Actor } from '../../core/index.js'
import type { DeskServices } from './services.js'

type AuditActor = Parameters<DeskServices['audit']['record']>[0]['actor']

/** The audit log knows keys, users and the system: a plugin acts as the system, naming itself. */
export function auditActor(actor: Actor): AuditActor {
  switch (actor.type) {
    case 'key':
    case 'user':
      return { type: actor.type, id: actor.id }
    case 'agent':
      return { type: 'user', id: actor.id }
    case 'plugin':
      return { type: 'system', id: `plugin:${actor.id}` }
    case 'system':
      return { type: 'system', id: actor.id }
  }
}

/** A desk action in the tenant's audit log, written behind the action: a slow log never holds a customer up. */
export function auditDesk(desk: DeskServices, actor: Actor, action: string, target: string, details: Record<string, unknown> = {}): void {
  desk.audit.recordLater({ tenant: desk.tenant, actor: auditActor(actor), action, target, outcome: 'success', details }, (error) =>
    desk.log.error({ err: error, action, target }, 'could not write a desk action to the audit log'),
  )
}
