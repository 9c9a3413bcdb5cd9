import type { Logger } from 'pino'
import { isSwitchboardError, sbError, type AcceptResult, type ChannelDeliveryPort, type ConversationLinks, type InboundActivity, type TranscriptRepository } from '../../core/index.js'
import type { DecodedCallback } from './inbound.js'
import { withChosenOption } from './numbered-choice.js'

export interface ReceiverDeps {
  links: ConversationLinks
  delivery: ChannelDeliveryPort
  transcript: TranscriptRepository
  log: Logger
}

/**
 * What a callback becomes once it is authentic and decoded: linked to its conversation, a
 * numbered answer turned back into the option's value, and handed to the inbox. Resolves once
 * the activity is durably stored; rejects with the SB_ERR_* that makes WeChat deliver it again.
 */
export class CallbackReceiver {
  constructor(private readonly deps: ReceiverDeps) {}

  async receive({ activity, user }: DecodedCallback): Promise<AcceptResult> {
    let linked: InboundActivity
    try {
      const conversationId = await this.deps.links.resolve({ externalId: user, userId: user, ...(activity.locale ? { locale: activity.locale } : {}) })
      linked = await withChosenOption({ ...activity, conversation: { ...activity.conversation, id: conversationId } }, this.deps.transcript)
    } catch (error) {
      this.deps.log.error({ err: error, message: activity.id }, 'could not link the WeChat user to a conversation')
      throw isSwitchboardError(error) ? error : sbError('SB_ERR_STORE_UNAVAILABLE', 'the conversation could not be stored', [], error)
    }
    return this.deps.delivery.receive(linked)
  }
}
