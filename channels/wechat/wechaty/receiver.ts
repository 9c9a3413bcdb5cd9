import { setTimeout as delay } from 'node:timers/promises'
import type { Logger } from 'pino'
import { backoffMs, isSwitchboardError, type BackoffPolicy, type ChannelDeliveryPort, type ConversationLinks, type InboundActivity, type TranscriptRepository } from '../../../core/index.js'
import { withChosenOption } from '../numbered-choice.js'
import { decodeMessage, type DecodedMessage, type MessagePayload, type RoomPolicy } from './inbound.js'

/** The parts of a wechaty Message the receiver reads. */
export interface IncomingMessage {
  readonly id: string
  readonly payload?: MessagePayload
  self(): boolean
  talker(): { name(): string } | undefined
  mentionSelf(): Promise<boolean>
  mentionText(): Promise<string>
}

export interface ReceiverDeps {
  owner: { tenant: string; instance: string }
  rooms: RoomPolicy
  links: ConversationLinks
  delivery: ChannelDeliveryPort
  transcript: TranscriptRepository
  retry: BackoffPolicy & { attempts: number }
  /** Aborted when the channel stops: waits end and nothing more is retried. */
  signal: AbortSignal
  log: Logger
  /** Counts a message given up after its retries. */
  lost: () => void
}

export type Received = 'accepted' | 'duplicate' | 'ignored' | 'lost'

/**
 * Takes each wechaty `message` event into the inbox. Wechaty is an in-process event stream with
 * no acknowledgement and no redelivery, so a message the inbox cannot take right now is retried
 * here with backoff; the inbox deduplicates on the message id, so a puppet that emits a message
 * twice still gets one answer. Messages of one chat are taken in the order they arrived.
 */
export class MessageReceiver {
  readonly #chains = new Map<string, Promise<unknown>>()

  constructor(private readonly deps: ReceiverDeps) {}

  /** Never rejects: whatever goes wrong is logged and counted here, since nobody awaits an event listener. */
  async receive(message: IncomingMessage): Promise<Received> {
    let decoded: DecodedMessage | undefined
    try {
      decoded = await this.#decode(message)
    } catch (error) {
      this.deps.log.error({ err: error, message: message.id }, 'could not read a WeChat message from the puppet')
      this.deps.lost()
      return 'lost'
    }
    if (!decoded) return 'ignored'
    return this.#inOrder(decoded.chat.id, () => this.#deliver(decoded))
  }

  async #decode(message: IncomingMessage): Promise<DecodedMessage | undefined> {
    // The account's own sends (from this gateway or from the phone) come back as messages too.
    if (message.self() || !message.payload) return undefined
    const { payload } = message
    const inRoom = Boolean(payload.roomId)
    if (inRoom && this.deps.rooms === 'off') return undefined
    const mentionsSelf = inRoom && (await message.mentionSelf())
    // Addressed to the bot, "@Bot where is my order?" is the question without its "@Bot".
    const textWithoutMentions = mentionsSelf ? await message.mentionText() : undefined
    const talkerName = message.talker()?.name()
    return decodeMessage(payload, {
      ...this.deps.owner,
      rooms: this.deps.rooms,
      mentionsSelf,
      ...(textWithoutMentions !== undefined ? { textWithoutMentions } : {}),
      ...(talkerName ? { talkerName } : {}),
    })
  }

  async #inOrder<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(key) ?? Promise.resolve()
    const run = previous.then(task)
    const tail = run.catch(() => undefined)
    this.#chains.set(key, tail)
    void tail.then(() => {
      if (this.#chains.get(key) === tail) this.#chains.delete(key)
    })
    return run
  }

  async #deliver({ activity, chat }: DecodedMessage): Promise<Received> {
    const { links, delivery, retry, signal, log } = this.deps
    for (let attempt = 1; ; attempt++) {
      try {
        const conversationId = await links.resolve({
          externalId: chat.id,
          userId: activity.from.id,
          ...(activity.from.name ? { userName: activity.from.name } : {}),
          reference: chat.room ? { roomId: chat.id } : { contactId: chat.id },
        })
        const linked = { ...activity, conversation: { ...activity.conversation, id: conversationId } }
        const result = await delivery.receive(await withChosenOption(linked, this.deps.transcript))
        return result.status
      } catch (error) {
        const shuttingDown = isSwitchboardError(error) && error.code === 'SB_ERR_SHUTTING_DOWN'
        if (attempt >= retry.attempts || shuttingDown || signal.aborted) {
          log.error({ err: error, message: activity.id, chat: chat.id, attempts: attempt }, 'WeChat message not accepted and given up: wechaty will not deliver it again')
          this.deps.lost()
          return 'lost'
        }
        const wait = isSwitchboardError(error) && error.retryAfterMs !== undefined ? error.retryAfterMs : backoffMs(attempt, retry)
        log.warn({ err: error, message: activity.id, attempt, retryInMs: wait }, 'WeChat message not accepted yet; retrying')
        await delay(wait, undefined, { signal }).catch(() => undefined)
      }
    }
  }
}
