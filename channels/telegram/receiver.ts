import type { Logger } from 'pino'
import type { Update } from 'telegraf/types'
import { isSwitchboardError, sbError, type ChannelDeliveryPort, type ConversationLinks, type InboundActivity, type TranscriptRepository } from '../../core/index.js'
import { parseCallbackData, valueIn } from './callback-data.js'
import type { TelegramClient } from './client.js'
import { decodeUpdate, type Owner } from './inbound.js'

export interface ReceiverDeps {
  owner: Owner
  client: TelegramClient
  links: ConversationLinks
  delivery: ChannelDeliveryPort
  transcript: TranscriptRepository
  log: Logger
}

export type Received = 'accepted' | 'duplicate' | 'ignored'

/**
 * What webhook and long polling share once an update is authentic and well-formed: answer a
 * button press at once, decode, link the chat to its conversation, and hand the activity to the
 * inbox. Resolves only once the update is durably stored (or is one we ignore); rejects with the
 * SB_ERR_* that says when Telegram should deliver it again.
 */
export class UpdateReceiver {
  constructor(private readonly deps: ReceiverDeps) {}

  async receive(update: Update): Promise<Received> {
    if ('callback_query' in update) this.#answer(update.callback_query.id)
    const decoded = decodeUpdate(update, this.deps.owner)
    if (!decoded) return 'ignored'
    const { activity, chat } = decoded
    let conversationId: string
    try {
      conversationId = await this.deps.links.resolve({
        externalId: chat.id,
        userId: activity.from.id,
        ...(activity.from.name ? { userName: activity.from.name } : {}),
        ...(activity.locale ? { locale: activity.locale } : {}),
        reference: { chatId: chat.id, chatType: chat.type },
      })
    } catch (error) {
      this.deps.log.error({ err: error, update: update.update_id }, 'could not link the chat to a conversation')
      throw isSwitchboardError(error) ? error : sbError('SB_ERR_STORE_UNAVAILABLE', 'the conversation could not be stored', [], error)
    }
    const linked: InboundActivity = { ...activity, conversation: { ...activity.conversation, id: conversationId } }
    const result = await this.deps.delivery.receive(activity.kind === 'postback' ? await this.#withOriginalValue(linked) : linked)
    return result.status
  }

  /**
   * Telegram clients spin until the query is answered, whatever the bot does next: answered here,
   * before the turn, and a failure (an old query, a redelivery) only costs a log line.
   */
  #answer(queryId: string): void {
    this.deps.client
      .call('answerCallbackQuery', { callback_query_id: queryId })
      .catch((error: Error) => this.deps.log.debug({ err: error, query: queryId }, 'answerCallbackQuery failed'))
  }

  /** A long button value travelled as a reference to the message it came with; the transcript has the value. */
  async #withOriginalValue(activity: InboundActivity): Promise<InboundActivity> {
    const reference = parseCallbackData(activity.text)
    if (!reference) return activity
    const { tenant } = this.deps.owner
    const [sent] = await this.deps.transcript.outboundAfter(tenant, activity.conversation.id, reference.seq - 1, 1).catch((error: Error) => {
      throw sbError('SB_ERR_STORE_UNAVAILABLE', 'the pressed button could not be looked up', [], error)
    })
    const value = sent?.seq === reference.seq ? valueIn(sent.parts, reference) : undefined
    if (value === undefined) {
      this.deps.log.warn({ conversation: activity.conversation.id, data: activity.text }, 'pressed button not found in the transcript; passing its data on as is')
      return activity
    }
    return { ...activity, text: value, parts: [{ type: 'text', text: value }] }
  }
}
