import { LIVE_HANDOFF_STATES, type Handoff } from '../../core/index.js'
import { TtlCache } from '../support/ttl-cache.js'
import type { DeskServices } from '../support/services.js'

/** A safety net only: every change reaches the cache as an event, from this replica or another. */
const TTL_MS = 30_000
const MAX = 20_000

/**
 * Which conversations a human has right now, so a customer's every message does not cost a read.
 * The desk and the SupportEvents of every replica keep it current; a miss reads the database.
 */
export class LiveHandoffs {
  /** null: known to be with the bot. */
  readonly #cache = new TtlCache<Handoff | null>({ max: MAX, ttlMs: TTL_MS })

  constructor(private readonly desk: DeskServices) {}

  /** Follows the tenant's handoff events; returns the unsubscribe. */
  follow(): () => void {
    return this.desk.events.subscribe(this.desk.tenant, (event) => {
      if (event.type === 'handoff') this.remember(event.handoff)
    })
  }

  async of(conversationId: string): Promise<Handoff | undefined> {
    const cached = this.#cache.get(conversationId)
    if (cached !== undefined) return cached ?? undefined
    const live = await this.desk.handoffs.live(this.desk.tenant, conversationId)
    this.#cache.set(conversationId, live ?? null)
    return live
  }

  remember(handoff: Handoff): void {
    this.#cache.set(handoff.conversationId, LIVE_HANDOFF_STATES.includes(handoff.state) ? handoff : null)
  }
}
