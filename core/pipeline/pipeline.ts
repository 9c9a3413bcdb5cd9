import type { Reply } from '../message/index.js'
import type { AgentHooks } from '../plugin/agent.js'
import { compose } from './compose.js'
import type { Turn } from './turn.js'

export interface NamedHooks extends AgentHooks {
  /** The plugin entry id, for logs and errors. */
  id: string
}

/**
 * A tenant's pipeline, in the order its config lists the plugins:
 * inbound onion → respond (first reply wins) → outbound waterfall over every reply.
 */
export class Pipeline {
  readonly #inbound
  readonly #responders
  readonly #outbound

  constructor(readonly hooks: readonly NamedHooks[]) {
    this.#inbound = compose<Turn>(hooks.flatMap((h) => (h.inbound ? [h.inbound] : [])))
    this.#responders = hooks.filter((h) => h.respond)
    this.#outbound = hooks.filter((h) => h.outbound)
  }

  async run(turn: Turn): Promise<Reply[]> {
    await this.#inbound(turn, async () => {
      if (turn.replies.length > 0) return
      for (const hooks of this.#responders) {
        const reply = await hooks.respond!(turn)
        if (reply) {
          turn.say(reply)
          turn.annotations.respondedBy ??= hooks.id
          return
        }
      }
    })
    const out: Reply[] = []
    for (let reply of turn.replies) {
      for (const hooks of this.#outbound) reply = await hooks.outbound!(turn, reply)
      out.push(reply)
    }
    return out
  }
}
