import { ticketOpened, type Handoff, type Scope } from '../../core/index.js'
import { openTicket } from '../support/open-ticket.js'
import type { DeskServices } from '../support/services.js'
import { PHONE_TRANSFER, type Desk } from './desk.js'
import type { HandoffConfig } from './manifest.js'

const MINUTE = 60_000
const SWEEPER = { type: 'system' as const, id: 'handoff-sweeper' }

/**
 * Ends what nobody will end: a conversation left in the queue too long, a taken one gone quiet, a
 * phone transfer whose call hung up. Every replica sweeps; each end is a guarded UPDATE, so only
 * one of them acts on a given handoff and only that one tells the customer.
 */
export class Sweeper {
  #running: Promise<void> | undefined

  constructor(
    private readonly s: DeskServices,
    private readonly desk: Desk,
    private readonly config: Pick<HandoffConfig, 'abandonAfterMinutes' | 'idleAfterMinutes' | 'sweepEverySeconds'>,
  ) {}

  start(scope: Scope): void {
    const timer = setInterval(() => {
      // A slow database must not stack sweeps.
      this.#running ??= this.sweep()
        .catch((error) => this.s.log.error({ err: error }, 'handoff sweep failed; trying again at the next one'))
        .finally(() => (this.#running = undefined))
    }, this.config.sweepEverySeconds * 1000)
    timer.unref()
    scope.onDispose(async () => {
      clearInterval(timer)
      await this.#running
    }, 'handoff sweeper')
  }

  async sweep(): Promise<void> {
    const now = this.s.clock.now()
    const stale = await this.s.handoffs.stale(this.s.tenant, { queuedBefore: new Date(now - this.config.abandonAfterMinutes * MINUTE), idleSince: new Date(now - this.config.idleAfterMinutes * MINUTE) })
    for (const handoff of stale) {
      // A phone call is quiet in the transcript however long it runs; it ends when the call does.
      if (handoff.agentId === PHONE_TRANSFER.id) continue
      if (handoff.state === 'queued') await this.#abandon(handoff)
      else await this.#idle(handoff)
    }
    for (const handoff of await this.s.handoffs.list(this.s.tenant, { states: ['assigned', 'agent_active'], agentId: PHONE_TRANSFER.id, limit: 500 })) {
      const conversation = await this.s.conversations.get(this.s.tenant, handoff.conversationId)
      if (conversation?.status === 'closed') await this.desk.end(handoff, 'resolved', 'call ended')
    }
  }

  async #abandon(handoff: Handoff): Promise<void> {
    if (!(await this.desk.end(handoff, 'abandoned', 'nobody took it in time'))) return
    const m = this.desk.messagesFor(handoff)
    const notice = await this.#ticketFor(handoff)
    await this.desk.tell(handoff.conversationId, [m.abandoned, ...notice].join(' '))
  }

  async #idle(handoff: Handoff): Promise<void> {
    if (!(await this.desk.end(handoff, 'abandoned', 'no messages either way'))) return
    await this.desk.tell(handoff.conversationId, this.desk.messagesFor(handoff).idle)
  }

  /** A customer nobody got to keeps a ticket, so the team follows up; returns what to tell them of a new one. */
  async #ticketFor(handoff: Handoff): Promise<string[]> {
    try {
      if (handoff.ticketId || (await this.s.tickets.openForConversation(this.s.tenant, handoff.conversationId))) return []
      const ticket = await openTicket(
        this.s,
        {
          subject: `Waited for an agent: ${handoff.reason}`,
          priority: 'medium',
          source: 'abandoned',
          conversationId: handoff.conversationId,
          vipLevel: handoff.vipLevel,
          ...(handoff.customerId ? { customerId: handoff.customerId } : {}),
        },
        SWEEPER,
      )
      return [ticketOpened(handoff.language ?? this.s.locale, ticket.reference, ticket.subject)]
    } catch (error) {
      this.s.log.error({ err: error, handoff: handoff.id }, 'could not open a ticket for an abandoned handoff')
      return []
    }
  }
}
