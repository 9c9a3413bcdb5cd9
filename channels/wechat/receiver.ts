import type { Logger } from 'pino'
import { isSwitchboardError, sbError, type AcceptResult, type ChannelDeliveryPort, type ConversationLinks, type InboundActivity, type TranscriptRepository } from '../../core/index.js'
import type { DecodedCallback } from './inbound.js'
import { chosenNumber, chosenValue } from './numbered-choice.js'

export interface ReceiverDeps {
  tenant: string
  links: ConversationLinks
  delivery: ChannelDeliveryPort
  transcript: TranscriptRepository
  log: Logger
}

/** Transcript entries read to find the choice a numbered answer refers to: the bot's latest turn fits. */
const HISTORY = 20

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
      linked = await this.#withChosenValue({ ...activity, conversation: { ...activity.conversation, id: conversationId } })
    } catch (error) {
      this.deps.log.error({ err: error, message: activity.id }, 'could not link the WeChat user to a conversation')
      throw isSwitchboardError(error) ? error : sbError('SB_ERR_STORE_UNAVAILABLE', 'the conversation could not be stored', [], error)
    }
    return this.deps.delivery.receive(linked)
  }

  /** "2" answering the bot's numbered list becomes the second option's value, as a button press would. */
  async #withChosenValue(activity: InboundActivity): Promise<InboundActivity> {
    const n = activity.kind === 'message' ? chosenNumber(activity.text) : undefined
    if (n === undefined) return activity
    const history = await this.deps.transcript.history(this.deps.tenant, activity.conversation.id, HISTORY)
    const value = chosenValue(history, n)
    return value === undefined ? activity : { ...activity, kind: 'postback', text: value, parts: [{ type: 'text', text: value }] }
  }
}
