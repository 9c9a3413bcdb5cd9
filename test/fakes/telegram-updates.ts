import { randomBytes } from 'node:crypto'
import type { Update } from 'telegraf/types'
import type { TgEntity } from './telegram-format.js'

export interface TgUser {
  id: number
  is_bot: boolean
  first_name: string
  last_name?: string
  username?: string
  language_code?: string
}

export interface TgChat {
  id: number
  type: 'private' | 'group' | 'supergroup' | 'channel'
  title?: string
  first_name?: string
  last_name?: string
  username?: string
}

export type TgMessage = { message_id: number; date: number; chat: TgChat; from?: TgUser; [field: string]: unknown }

/** Any Update, including types telegraf (or the gateway) does not know. */
export type TgUpdate = { update_id: number; [field: string]: unknown }

export type FileKind = 'photo' | 'document' | 'voice'

/** A file held by the fake, reachable through getFile and `/file/bot<token>/<file_path>`. */
export interface FakeFile {
  fileId: string
  fileUniqueId: string
  filePath: string
  kind: FileKind
  size: number
  fileName?: string
  mimeType?: string
  data: Buffer
}

/** What the builders need from the fake: shared counters and what it remembers per chat. */
export interface ChatBook {
  readonly bot: TgUser
  seconds(): number
  nextUpdateId(): number
  jumpUpdateId(to: number): void
  nextMessageId(chatId: number): number
  chat(chatId: number, user?: TgUser): TgChat
  message(chatId: number, messageId: number): TgMessage | undefined
  lastMessage(chatId: number, fromBot: boolean): TgMessage | undefined
  learn(update: TgUpdate): void
  addFile(data: Buffer, meta: { kind: FileKind; fileName?: string; mimeType?: string }): FakeFile
  migrate(chatId: number, toChatId: number): void
}

interface Common {
  chatId: number
  /** The sender; defaults to a user whose id is the chat id (private chats) or 1111111 (groups). */
  from?: Partial<TgUser>
  date?: number
}

export interface UpdateBuilders {
  message(o: Common & { text: string; replyTo?: number; entities?: TgEntity[] }): Update.MessageUpdate
  /** An edit of a user message, by default the chat's latest one. */
  edited(o: Common & { text: string; messageId?: number; entities?: TgEntity[] }): Update.EditedMessageUpdate
  /** A button press; `withMessage: false` plays a button under an inline-mode message. */
  callbackQuery(o: Common & { data: string; withMessage?: boolean; messageId?: number }): Update.CallbackQueryUpdate
  photo(o: Common & { caption?: string; bytes?: Buffer }): Update.MessageUpdate
  document(o: Common & { fileName?: string; mimeType?: string; caption?: string; bytes?: Buffer }): Update.MessageUpdate
  voice(o: Common & { duration?: number; bytes?: Buffer }): Update.MessageUpdate
  location(o: Common & { latitude: number; longitude: number }): Update.MessageUpdate
  /** The service message of a group upgraded to a supergroup; later sends to the old id fail. */
  migration(o: { chatId: number; toChatId: number }): Update.MessageUpdate
  /** An update type the gateway is not expected to handle; it must still be acked with 2xx. */
  unknown(o?: { type?: string; chatId?: number; payload?: Record<string, unknown> }): TgUpdate
  /**
   * After a week without updates Telegram picks the next update_id at random, possibly lower
   * than the last one. Returns the id the next update will get (`to`, or a random one).
   */
  weekIdle(to?: number): number
}

// Just enough of each format for content sniffing; real bytes are not needed.
const SAMPLE_JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex')
const SAMPLE_OGG = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(60)])
const SAMPLE_PDF = Buffer.from('%PDF-1.4\n%fake\n%%EOF\n')

const commandEntity = (text: string): TgEntity[] => {
  const command = /^\/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_])/.exec(text)
  return command ? [{ type: 'bot_command', offset: 0, length: command[0].length }] : []
}

export function createUpdateBuilders(book: ChatBook): UpdateBuilders {
  const userFor = (chatId: number, from?: Partial<TgUser>): TgUser => ({
    id: chatId > 0 ? chatId : 1111111,
    is_bot: false,
    first_name: 'Test',
    last_name: 'User',
    username: 'test_user',
    language_code: 'en',
    ...from,
  })
  const message = (o: Common, content: Record<string, unknown>): TgMessage => {
    const from = userFor(o.chatId, o.from)
    return { message_id: book.nextMessageId(o.chatId), from, chat: book.chat(o.chatId, from), date: o.date ?? book.seconds(), ...content }
  }
  // One cast, here: the objects follow the Bot API, telegraf's types are just stricter unions.
  const update = <T>(field: string, value: unknown): T => {
    const built: TgUpdate = { update_id: book.nextUpdateId(), [field]: value }
    book.learn(built)
    return built as unknown as T
  }
  const media = (o: Common, kind: FileKind, data: Buffer, meta: { fileName?: string; mimeType?: string }) => {
    const file = book.addFile(data, { kind, ...meta })
    return { file, ref: { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size } }
  }
  const caption = (text?: string) => (text === undefined ? {} : { caption: text })

  return {
    message(o) {
      const entities = o.entities ?? commandEntity(o.text)
      const chat = book.chat(o.chatId)
      const replied = o.replyTo === undefined ? undefined : (book.message(o.chatId, o.replyTo) ?? { message_id: o.replyTo, date: book.seconds(), chat })
      return update('message', message(o, { text: o.text, ...(entities.length ? { entities } : {}), ...(replied ? { reply_to_message: replied } : {}) }))
    },
    edited(o) {
      const original = o.messageId === undefined ? book.lastMessage(o.chatId, false) : book.message(o.chatId, o.messageId)
      if (!original) throw new Error(`fake Telegram: no user message ${o.messageId ?? ''} in chat ${o.chatId} to edit`)
      const entities = o.entities ?? commandEntity(o.text)
      const { entities: _old, ...rest } = original
      return update('edited_message', { ...rest, text: o.text, ...(entities.length ? { entities } : {}), edit_date: o.date ?? book.seconds() })
    },
    callbackQuery(o) {
      const from = userFor(o.chatId, o.from)
      const withMessage = o.withMessage ?? true
      const shown = o.messageId === undefined ? book.lastMessage(o.chatId, true) : book.message(o.chatId, o.messageId)
      const source = withMessage
        ? { message: shown ?? { message_id: book.nextMessageId(o.chatId), from: book.bot, chat: book.chat(o.chatId, from), date: book.seconds(), text: 'Choose:' } }
        : { inline_message_id: `AgAAA${randomBytes(12).toString('base64url')}` }
      return update('callback_query', {
        id: BigInt.asUintN(63, randomBytes(8).readBigUInt64BE()).toString(),
        from,
        chat_instance: `-${(BigInt(Math.abs(o.chatId)) * 7919n) % 10n ** 18n}`,
        ...source,
        data: o.data,
      })
    },
    photo(o) {
      const { ref } = media(o, 'photo', o.bytes ?? SAMPLE_JPEG, { mimeType: 'image/jpeg' })
      return update('message', message(o, { photo: [{ ...ref, width: 320, height: 240 }], ...caption(o.caption) }))
    },
    document(o) {
      const fileName = o.fileName ?? 'file.pdf'
      const mimeType = o.mimeType ?? (fileName.endsWith('.pdf') ? 'application/pdf' : 'application/octet-stream')
      const { ref } = media(o, 'document', o.bytes ?? SAMPLE_PDF, { fileName, mimeType })
      return update('message', message(o, { document: { file_name: fileName, mime_type: mimeType, ...ref }, ...caption(o.caption) }))
    },
    voice(o) {
      const { ref } = media(o, 'voice', o.bytes ?? SAMPLE_OGG, { mimeType: 'audio/ogg' })
      return update('message', message(o, { voice: { duration: o.duration ?? 3, mime_type: 'audio/ogg', ...ref } }))
    },
    location(o) {
      return update('message', message(o, { location: { latitude: o.latitude, longitude: o.longitude } }))
    },
    migration(o) {
      book.migrate(o.chatId, o.toChatId)
      return update('message', message({ chatId: o.chatId }, { migrate_to_chat_id: o.toChatId }))
    },
    unknown(o = {}) {
      const type = o.type ?? 'message_reaction'
      const chatId = o.chatId ?? 1111111
      const payload = o.payload ?? {
        chat: book.chat(chatId),
        message_id: book.lastMessage(chatId, true)?.message_id ?? 1,
        user: userFor(chatId),
        date: book.seconds(),
        old_reaction: [],
        new_reaction: [{ type: 'emoji', emoji: '👍' }],
      }
      return { update_id: book.nextUpdateId(), [type]: payload }
    },
    weekIdle(to) {
      const next = to ?? 1 + Math.floor(Math.random() * 2_000_000_000)
      book.jumpUpdateId(next)
      return next
    },
  }
}
