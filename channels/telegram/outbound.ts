import type { Logger } from 'pino'
import type { InlineKeyboardButton } from 'telegraf/types'
import { backoffMs, partToText, SendProgress, splitText, type Action, type ConversationLink, type ConversationLinks, type OutboundDelivery, type Part, type PartOf, type RateGovernor, type SendOutcome } from '../../core/index.js'
import { callbackData } from './callback-data.js'
import { ApiError, type ApiFailure, type TelegramClient } from './client.js'
import { fileIdOf } from './inbound.js'

/** Sends that never reached Telegram are retried from 1 s, doubling up to a minute. */
const RETRY = { minDelayMs: 1000, maxDelayMs: 60_000 }

/** One Bot API send a reply message becomes, before the chat is known. */
export type PlannedSend =
  | { method: 'sendMessage'; html: string; keyboard?: InlineKeyboardButton[][] }
  | { method: 'sendPhoto' | 'sendDocument' | 'sendAudio' | 'sendVideo'; media: string }

/**
 * Telegram's HTML needs exactly these three escaped; everything else (MarkdownV2's eighteen
 * specials included) is literal text in HTML mode. Applied to chunks, after splitting.
 */
export const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const LINKABLE = /^(https?|tg):\/\//i

const MEDIA = { image: 'sendPhoto', file: 'sendDocument', audio: 'sendAudio', video: 'sendVideo' } as const

/**
 * Pure: the sends that show one outbox message. `seq` is the message's seq, which long button
 * values refer back to. `maxLength` bounds each text in UTF-16 units (the engine already split
 * plain text; card bodies and choice prompts are split here).
 */
export function planSends(parts: readonly Part[], seq: number, maxLength: number): PlannedSend[] {
  const sends: PlannedSend[] = []
  const texts = (text: string, keyboard?: InlineKeyboardButton[][], title?: string) => {
    const chunks = text.trim() === '' ? [] : splitText(text, maxLength)
    chunks.forEach((chunk, i) => {
      // The bold title is the start of the first chunk unless it alone overflows a message.
      const html = i === 0 && title && chunk.startsWith(title) ? `<b>${escapeHtml(title)}</b>${escapeHtml(chunk.slice(title.length))}` : escapeHtml(chunk)
      sends.push({ method: 'sendMessage', html, ...(keyboard && i === chunks.length - 1 ? { keyboard } : {}) })
    })
  }
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        texts(part.text)
        break
      case 'choice':
        // A keyboard needs a message to hang on; a blank prompt falls back to the numbered list.
        texts(part.text.trim() ? part.text : partToText(part), choiceKeyboard(part, seq))
        break
      case 'card': {
        const { text, keyboard } = cardContent(part, seq)
        texts(text, keyboard, part.title.trim() ? part.title : undefined)
        break
      }
      default: {
        const media = fileIdOf(part.url) ?? (/^https?:\/\//i.test(part.url) ? part.url : undefined)
        // Telegram fetches http(s) URLs and re-sends its own file ids; anything else is shown as text.
        if (media) sends.push({ method: MEDIA[part.type], media })
        else texts(partToText(part))
      }
    }
  }
  return sends
}

const choiceKeyboard = (part: PartOf<'choice'>, seq: number): InlineKeyboardButton[][] =>
  part.options.map((option) => [{ text: option.title, callback_data: callbackData(option.value, seq) }])

/**
 * A card's title, body and buttons: postbacks as callback buttons, links as URL buttons. A link
 * Telegram would refuse as a button (anything but http(s) and tg:, and it refuses the whole
 * message for one) becomes a line of text instead.
 */
function cardContent(part: PartOf<'card'>, seq: number): { text: string; keyboard?: InlineKeyboardButton[][] } {
  const asButton = (action: Action) => action.type === 'postback' || LINKABLE.test(action.value)
  const lines = [part.title, part.body, ...part.actions.filter((a) => !asButton(a)).map((a) => `${a.title}: ${a.value}`)].filter(Boolean).join('\n')
  const keyboard = part.actions
    .filter(asButton)
    .map((action): InlineKeyboardButton[] => [action.type === 'url' ? { text: action.title, url: action.value } : { text: action.title, callback_data: callbackData(action.value, seq) }])
  return { text: lines.trim() ? lines : partToText(part), ...(keyboard.length > 0 ? { keyboard } : {}) }
}

/** Where a conversation's replies go, from its stored reference (it survives restarts and migrations). */
export interface ChatTarget {
  id: string
  /** Groups and supergroups have a budget of their own on top of the chat's. */
  group: boolean
}

export function chatOf(link: ConversationLink): ChatTarget {
  const reference = link.reference ?? {}
  const id = typeof reference.chatId === 'string' ? reference.chatId : link.externalId
  const type = typeof reference.chatType === 'string' ? reference.chatType : id.startsWith('-') ? 'group' : 'private'
  return { id, group: type === 'group' || type === 'supergroup' }
}

/** Chat ids go out as JSON numbers (they fit: at most 52 bits), `@channel` names as strings. */
export const chatIdParam = (id: string): number | string => (/^-?\d{1,16}$/.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id)

export interface SenderDeps {
  client: TelegramClient
  links: ConversationLinks
  governor: RateGovernor
  maxLength: number
  throttled: (source: 'platform' | 'governor') => void
  log: Logger
}

/**
 * Sends outbox messages. Everything it needs comes from the stored conversation reference, so a
 * reply pending since before a restart goes out like a fresh one.
 */
export class Sender {
  /** Sends already made of replies that had to stop part-way. */
  readonly #done = new SendProgress<number>()

  constructor(private readonly deps: SenderDeps) {}

  async send(delivery: OutboundDelivery): Promise<SendOutcome> {
    let link: ConversationLink | undefined
    try {
      link = await this.deps.links.target(delivery.conversationId)
    } catch (error) {
      // Nothing was sent: the store is down, so wait and try again.
      return { status: 'retry', afterMs: backoffMs(delivery.attempt, RETRY), error: `conversation lookup failed: ${(error as Error).message}` }
    }
    if (!link) return { status: 'failed', error: 'no Telegram chat is linked to this conversation' }
    let chat = chatOf(link)
    let migrated = false
    const sends = planSends(delivery.parts, delivery.seq, this.deps.maxLength)
    if (sends.length === 0) return { status: 'failed', error: 'the reply has nothing Telegram can show (blank text)' }
    for (let i = this.#done.get(delivery.id) ?? 0; i < sends.length; i++) {
      const wait = await this.deps.governor.take({ chat: chat.id, group: chat.group ? chat.id : undefined, bot: 'bot' }).catch(() => 0)
      if (wait > 0) {
        this.deps.throttled('governor')
        this.#progress(delivery.id, i)
        return { status: 'retry', afterMs: wait, error: 'held back by the rate governor' }
      }
      try {
        await this.#call(sends[i]!, chat.id)
      } catch (error) {
        const failure: ApiFailure = error instanceof ApiError ? error.failure : { kind: 'ambiguous', reason: String(error) }
        if (failure.kind === 'refused' && failure.migrateTo && !migrated) {
          migrated = true
          chat = await this.#migrate(link, failure.migrateTo)
          i--
          continue
        }
        const outcome = outcomeOf(failure, delivery.attempt)
        if (outcome.status === 'retry') {
          if (failure.kind === 'refused') this.deps.throttled('platform')
          this.#progress(delivery.id, i)
        } else this.#done.forget(delivery.id)
        return outcome
      }
    }
    this.#done.forget(delivery.id)
    return { status: 'sent' }
  }

  /**
   * Shows "typing…" in a conversation's chat, best effort. It draws only on the bot-wide budget,
   * so it never delays the chat's reply, and is skipped when that budget is short.
   */
  async showTyping(conversationId: string): Promise<void> {
    try {
      const link = await this.deps.links.target(conversationId)
      if (!link || (await this.deps.governor.take({ bot: 'bot' })) > 0) return
      await this.deps.client.call('sendChatAction', { chat_id: chatIdParam(chatOf(link).id), action: 'typing' })
    } catch (error) {
      this.deps.log.debug({ err: error, conversation: conversationId }, 'typing indicator not shown')
    }
  }

  #progress(id: string, sent: number): void {
    if (sent === 0) this.#done.forget(id)
    else this.#done.keep(id, sent)
  }

  async #call(send: PlannedSend, chatId: string): Promise<void> {
    const chat_id = chatIdParam(chatId)
    const { client } = this.deps
    switch (send.method) {
      case 'sendMessage':
        await client.call('sendMessage', { chat_id, text: send.html, parse_mode: 'HTML', ...(send.keyboard ? { reply_markup: { inline_keyboard: send.keyboard } } : {}) })
        return
      case 'sendPhoto':
        await client.call('sendPhoto', { chat_id, photo: send.media })
        return
      case 'sendDocument':
        await client.call('sendDocument', { chat_id, document: send.media })
        return
      case 'sendAudio':
        await client.call('sendAudio', { chat_id, audio: send.media })
        return
      case 'sendVideo':
        await client.call('sendVideo', { chat_id, video: send.media })
    }
  }

  /** A group became a supergroup: its replies go to the new chat from now on, on every replica and after restarts. */
  async #migrate(link: ConversationLink, chatId: string): Promise<ChatTarget> {
    this.deps.log.info({ conversation: link.id, from: link.externalId, to: chatId }, 'group migrated to a supergroup; replies follow it')
    await this.deps.links
      .resolve({ externalId: link.externalId, userId: link.externalId, reference: { ...link.reference, chatId, chatType: 'supergroup' } })
      .catch((error) => this.deps.log.warn({ err: error, conversation: link.id }, 'could not store the migrated chat id; sending there anyway'))
    return { id: chatId, group: true }
  }
}

/** What the outbox does after a failed send. Telegram takes no idempotency key: nothing ambiguous is re-posted. */
export function outcomeOf(failure: ApiFailure, attempt: number): SendOutcome {
  switch (failure.kind) {
    case 'refused':
      if (failure.code === 429 || failure.retryAfterMs !== undefined)
        return { status: 'retry', afterMs: failure.retryAfterMs ?? backoffMs(attempt, RETRY), error: `${failure.code} ${failure.description}` }
      return { status: 'failed', error: `${failure.code} ${failure.description}` }
    case 'unreached':
      return { status: 'retry', afterMs: backoffMs(attempt, RETRY), error: failure.reason }
    case 'ambiguous':
      return { status: 'unknown', error: failure.reason }
  }
}
