import type { WebchatConnection } from './connection.js'

const MAX_SOCKETS_PER_CONVERSATION = 5

/** Which sockets are open for which conversation, on this process. */
export class ConnectionHub {
  readonly #byConversation = new Map<string, Set<WebchatConnection>>()
  readonly all = new Set<WebchatConnection>()

  add(conversationId: string, connection: WebchatConnection): WebchatConnection | undefined {
    let set = this.#byConversation.get(conversationId)
    if (!set) this.#byConversation.set(conversationId, (set = new Set()))
    set.add(connection)
    if (set.size <= MAX_SOCKETS_PER_CONVERSATION) return undefined
    // A visitor with many tabs: the oldest socket makes room for the newest.
    const oldest = set.values().next().value!
    set.delete(oldest)
    return oldest
  }

  remove(conversationId: string | undefined, connection: WebchatConnection): void {
    this.all.delete(connection)
    if (!conversationId) return
    const set = this.#byConversation.get(conversationId)
    if (!set) return
    set.delete(connection)
    if (set.size === 0) this.#byConversation.delete(conversationId)
  }

  of(conversationId: string): ReadonlySet<WebchatConnection> | undefined {
    return this.#byConversation.get(conversationId)
  }
}
