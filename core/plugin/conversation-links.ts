import type { ConversationRepository } from '../store/conversations.js'

export interface ConversationLink {
  id: string
  externalId: string
  reference: Record<string, unknown> | null
}

export interface LinkInput {
  externalId: string
  userId: string
  userName?: string
  locale?: string
  reference?: Record<string, unknown>
}

/** Platform conversations of a busy bot; beyond this the oldest are reread from the store. */
const MAX_LINKS = 50_000

/**
 * Maps a channel instance's platform conversations (a Telegram chat, a Teams thread) to
 * Switchboard's conversations and back, without a database round trip per message: the store is
 * written the first time a conversation is seen, and again only when its reference changes.
 */
export class ConversationLinks {
  readonly #byExternal = new Map<string, { id: string; reference: string }>()
  readonly #byId = new Map<string, ConversationLink>()

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly owner: { tenant: string; channel: string; instance: string },
  ) {}

  /** Our conversation id for a platform conversation. */
  async resolve(input: LinkInput): Promise<string> {
    const reference = input.reference ? JSON.stringify(input.reference) : ''
    const known = this.#byExternal.get(input.externalId)
    if (known && known.reference === reference) return known.id
    const record = await this.conversations.ensure({ ...this.owner, ...input })
    this.#remember(this.#byExternal, input.externalId, { id: record.id, reference })
    this.#remember(this.#byId, record.id, { id: record.id, externalId: record.externalId, reference: record.reference })
    return record.id
  }

  /** Where a conversation's replies go; after a restart, read back from the store. */
  async target(conversationId: string): Promise<ConversationLink | undefined> {
    const known = this.#byId.get(conversationId)
    if (known) return known
    const record = await this.conversations.get(this.owner.tenant, conversationId)
    if (!record || record.instance !== this.owner.instance) return undefined
    const link = { id: record.id, externalId: record.externalId, reference: record.reference }
    this.#remember(this.#byId, record.id, link)
    return link
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key)
    map.set(key, value)
    // Maps keep insertion order, and a re-set moves a key to the end: the first key is the least recently written.
    if (map.size > MAX_LINKS) map.delete(map.keys().next().value!)
  }
}
