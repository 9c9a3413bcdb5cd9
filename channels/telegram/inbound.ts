import type { CallbackQuery, Chat, Message, Update, User } from 'telegraf/types'
import { z } from 'zod'
import type { ActivityKind, InboundActivity, Part } from '../../core/index.js'

/** Which channel instance an update arrived at. */
export interface Owner {
  tenant: string
  instance: string
}

/** An update the pipeline will see, and the chat its replies go to. */
export interface DecodedUpdate {
  /** `conversation.id` is the chat id until the receiver links it to a stored conversation. */
  activity: InboundActivity
  chat: { id: string; type: Chat['type'] }
}

/**
 * Telegram ids are at most 52 bits; JSON numbers beyond 2^53 have already lost digits when parsed,
 * and a rounded chat id would send replies to someone else.
 */
const id = z.number().refine(Number.isSafeInteger, 'an id beyond 2^53 cannot be represented exactly')
const WireUser = z.looseObject({ id, first_name: z.string().optional(), last_name: z.string().optional(), username: z.string().optional(), language_code: z.string().optional() })
const WireChat = z.looseObject({ id, type: z.string() })
const WireMessage = z.looseObject({ message_id: id, date: z.number(), chat: WireChat, from: WireUser.optional(), text: z.string().optional(), caption: z.string().optional() })

/**
 * The fields this channel reads, checked before they are trusted; everything else passes through
 * untouched (new Bot API fields, update types we ignore).
 */
export const WireUpdate = z.looseObject({
  update_id: id.refine((n) => n >= 0, 'update_id is never negative'),
  message: WireMessage.optional(),
  edited_message: WireMessage.optional(),
  callback_query: z
    .looseObject({ id: z.string().min(1), from: WireUser, message: z.looseObject({ message_id: id, chat: WireChat }).optional(), data: z.string().optional() })
    .optional(),
})

/** Media parts point at Telegram's file id, never at a download URL (that one embeds the bot token). */
export const fileUrl = (fileId: string): string => `tg-file:${encodeURIComponent(fileId)}`
export const fileIdOf = (url: string): string | undefined => (url.startsWith('tg-file:') ? decodeURIComponent(url.slice('tg-file:'.length)) : undefined)

/** Pure: a JSON value → the activity, when it is a well-formed update this channel handles. */
export function normalise(raw: unknown, owner: Owner, now?: Date): InboundActivity | undefined {
  const parsed = WireUpdate.safeParse(raw)
  return parsed.success ? decodeUpdate(parsed.data as unknown as Update, owner, now)?.activity : undefined
}

/** Pure: a Telegram update → the activity the pipeline sees; undefined for updates this channel ignores. */
export function decodeUpdate(update: Update, owner: Owner, now: Date = new Date()): DecodedUpdate | undefined {
  if ('message' in update) return fromMessage(update, update.message, 'message', owner)
  if ('edited_message' in update) return fromMessage(update, update.edited_message, 'edit', owner)
  if ('callback_query' in update) return fromCallback(update, update.callback_query, owner, now)
  return undefined
}

function fromMessage(update: Update, message: Message, kind: ActivityKind, owner: Owner): DecodedUpdate | undefined {
  const content = contentOf(message)
  if (!content) return undefined
  const chat = message.chat
  const edited = 'edit_date' in message && typeof message.edit_date === 'number' ? message.edit_date : undefined
  const reply = 'reply_to_message' in message ? message.reply_to_message : undefined
  // A message sent on behalf of a chat (no `from`) is attributed to that chat.
  const from = 'from' in message && message.from ? message.from : undefined
  const sender = from ? party(from) : { id: String(('sender_chat' in message && message.sender_chat?.id) || chat.id), role: 'user' as const }
  return build(update, owner, {
    chat,
    kind,
    at: new Date((edited ?? message.date) * 1000),
    from: sender,
    locale: from?.language_code,
    replyTo: reply ? String(reply.message_id) : undefined,
    ...content,
  })
}

function fromCallback(update: Update, query: CallbackQuery, owner: Owner, now: Date): DecodedUpdate | undefined {
  if (!('data' in query)) return undefined
  const message = query.message
  // Without a message (a button under an inline-mode message) the chat is unknown; the private chat with the presser is where an answer can go.
  const chat: Pick<Chat, 'id' | 'type'> = message ? message.chat : { id: query.from.id, type: 'private' }
  return build(update, owner, {
    chat,
    kind: 'postback',
    at: now,
    from: party(query.from),
    locale: query.from.language_code,
    replyTo: message ? String(message.message_id) : undefined,
    text: query.data,
    parts: [{ type: 'text', text: query.data }],
  })
}

interface Decoded {
  chat: Pick<Chat, 'id' | 'type'>
  kind: ActivityKind
  at: Date
  from: InboundActivity['from']
  locale: string | undefined
  replyTo: string | undefined
  text: string
  parts: Part[]
}

function build(update: Update, owner: Owner, d: Decoded): DecodedUpdate {
  const channel = 'telegram'
  const externalId = String(d.chat.id)
  return {
    activity: {
      id: String(update.update_id),
      tenant: owner.tenant,
      channel,
      instance: owner.instance,
      conversation: { id: externalId, tenant: owner.tenant, channel, instance: owner.instance, externalId },
      from: d.from,
      at: d.at,
      kind: d.kind,
      text: d.text,
      parts: d.parts,
      ...(d.replyTo ? { replyTo: d.replyTo } : {}),
      ...(d.locale ? { locale: d.locale } : {}),
      raw: update,
    },
    chat: { id: externalId, type: d.chat.type },
  }
}

const party = (user: User): InboundActivity['from'] => {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ') || user.username
  return { id: String(user.id), role: 'user', ...(name ? { name } : {}) }
}

/** What a message says, as text and parts; undefined for kinds with nothing to answer (service messages, polls, games). */
function contentOf(message: Message): { text: string; parts: Part[] } | undefined {
  if ('text' in message) return { text: message.text, parts: [{ type: 'text', text: message.text }] }
  const media = mediaOf(message)
  if (media) {
    const caption = 'caption' in message && message.caption !== undefined ? message.caption : ''
    return { text: caption, parts: caption ? [media, { type: 'text', text: caption }] : [media] }
  }
  const said = saidOf(message)
  return said === undefined ? undefined : { text: said, parts: [{ type: 'text', text: said }] }
}

const optional = <K extends string>(key: K, value: string | undefined) => (value ? ({ [key]: value } as Record<K, string>) : {})

function mediaOf(message: Message): Part | undefined {
  if ('photo' in message) {
    // Sizes come smallest first; the last is the original resolution.
    const largest = message.photo.reduce((best, size) => (size.width * size.height >= best.width * best.height ? size : best))
    return { type: 'image', url: fileUrl(largest.file_id), mime: 'image/jpeg' }
  }
  // An animation message also carries `document` for old clients: check it first.
  if ('animation' in message)
    return { type: 'video', url: fileUrl(message.animation.file_id), ...optional('name', message.animation.file_name), ...optional('mime', message.animation.mime_type) }
  if ('document' in message)
    return { type: 'file', url: fileUrl(message.document.file_id), ...optional('name', message.document.file_name), ...optional('mime', message.document.mime_type) }
  if ('voice' in message) return { type: 'audio', url: fileUrl(message.voice.file_id), mime: message.voice.mime_type ?? 'audio/ogg' }
  if ('audio' in message)
    return { type: 'audio', url: fileUrl(message.audio.file_id), ...optional('name', message.audio.file_name ?? message.audio.title), ...optional('mime', message.audio.mime_type) }
  if ('video' in message)
    return { type: 'video', url: fileUrl(message.video.file_id), ...optional('name', message.video.file_name), ...optional('mime', message.video.mime_type) }
  if ('video_note' in message) return { type: 'video', url: fileUrl(message.video_note.file_id), mime: 'video/mp4' }
  if ('sticker' in message) {
    const { sticker } = message
    return { type: 'image', url: fileUrl(sticker.file_id), mime: sticker.is_video ? 'video/webm' : sticker.is_animated ? 'application/x-tgsticker' : 'image/webp', ...optional('name', sticker.emoji) }
  }
  return undefined
}

/** Non-media content that is still something the user said, written as text. */
function saidOf(message: Message): string | undefined {
  // A venue message also carries `location`: check it first.
  if ('venue' in message) {
    const { venue } = message
    return [venue.title, venue.address, geo(venue.location)].filter(Boolean).join('\n')
  }
  if ('location' in message) return geo(message.location)
  if ('contact' in message) {
    const { contact } = message
    return [[contact.first_name, contact.last_name].filter(Boolean).join(' '), contact.phone_number].filter(Boolean).join('\n')
  }
  return undefined
}

/** RFC 5870: a location as a URI both people and plugins can read. */
const geo = (location: { latitude: number; longitude: number }) => `geo:${location.latitude},${location.longitude}`
