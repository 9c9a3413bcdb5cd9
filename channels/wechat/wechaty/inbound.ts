import type { InboundActivity } from '../../../core/index.js'

/**
 * wechaty-puppet's message types (`types.Message`), copied so decoding never loads wechaty; a
 * test checks them against the installed package.
 */
export const MessageType = {
  Unknown: 0,
  Attachment: 1,
  Audio: 2,
  Contact: 3,
  ChatHistory: 4,
  Emoticon: 5,
  Image: 6,
  Text: 7,
  Location: 8,
  MiniProgram: 9,
  GroupNote: 10,
  Transfer: 11,
  RedEnvelope: 12,
  Recalled: 13,
  Url: 14,
  Video: 15,
  Post: 16,
} as const

/** The fields of a puppet's message payload (wechaty-puppet `payloads.Message`) this channel reads. */
export interface MessagePayload {
  id: string
  talkerId?: string
  /** What older puppets call `talkerId`. */
  fromId?: string
  roomId?: string
  listenerId?: string
  text?: string
  type: number
  /** Seconds or milliseconds since the epoch, depending on the puppet. */
  timestamp: number
  filename?: string
  mentionIdList?: string[]
}

export type RoomPolicy = 'mentioned' | 'all' | 'off'

/** What is known about a message beyond its payload, looked up through wechaty before decoding. */
export interface MessageFacts {
  tenant: string
  instance: string
  rooms: RoomPolicy
  /** The message @-mentions the logged-in account (wechaty's `mentionSelf()`); rooms only. */
  mentionsSelf: boolean
  /** The text without its @-mentions (wechaty's `mentionText()`), when it mentions someone. */
  textWithoutMentions?: string
  talkerName?: string
}

/** A message the pipeline will see, and the chat its replies go to. */
export interface DecodedMessage {
  /** `conversation.id` is the chat id until the receiver links it to a stored conversation. */
  activity: InboundActivity
  chat: ChatTarget
}

/** A contact (one-to-one chat) or a room (group chat), by its wechaty id. */
export interface ChatTarget {
  id: string
  room: boolean
}

/**
 * What the user sent when it is not text: the pipeline answers in text, so a short note stands
 * in for the media (which stays reachable in `raw`). Types missing here (transfers, red
 * envelopes, recalls, system notes, unknown) are not something to answer.
 */
const FALLBACKS: Partial<Record<number, string>> = {
  [MessageType.Image]: '[image]',
  [MessageType.Audio]: '[voice message]',
  [MessageType.Video]: '[video]',
  [MessageType.Emoticon]: '[sticker]',
  [MessageType.Attachment]: '[file]',
  [MessageType.Url]: '[link]',
  [MessageType.Location]: '[location]',
  [MessageType.Contact]: '[contact card]',
  [MessageType.MiniProgram]: '[mini program]',
  [MessageType.ChatHistory]: '[chat history]',
}

/** 1e11 is 1973 in milliseconds and the year 5138 in seconds (wechaty's timestampToDate). */
const toDate = (timestamp: number, now: Date): Date => (timestamp > 0 ? new Date(timestamp < 1e11 ? timestamp * 1000 : timestamp) : now)

/** Pure: a puppet's message payload → the activity; undefined for messages this channel ignores. */
export function decodeMessage(payload: MessagePayload, facts: MessageFacts, now: Date = new Date()): DecodedMessage | undefined {
  const talker = payload.talkerId || payload.fromId
  if (!talker || !payload.id) return undefined
  const room = payload.roomId || undefined
  if (room && (facts.rooms === 'off' || (facts.rooms === 'mentioned' && !facts.mentionsSelf))) return undefined
  const text = textOf(payload, facts)
  if (text === undefined) return undefined
  const chat: ChatTarget = { id: room ?? talker, room: room !== undefined }
  const { tenant, instance } = facts
  const channel = 'wechat'
  return {
    activity: {
      id: payload.id,
      tenant,
      channel,
      instance,
      conversation: { id: chat.id, tenant, channel, instance, externalId: chat.id },
      from: { id: talker, role: 'user', ...(facts.talkerName ? { name: facts.talkerName } : {}) },
      at: toDate(payload.timestamp, now),
      kind: 'message',
      text,
      parts: [{ type: 'text', text }],
      raw: payload,
    },
    chat,
  }
}

function textOf(payload: MessagePayload, facts: MessageFacts): string | undefined {
  if (payload.type === MessageType.Text) return facts.textWithoutMentions ?? payload.text ?? ''
  const fallback = FALLBACKS[payload.type]
  if (fallback === undefined) return undefined
  return payload.type === MessageType.Attachment && payload.filename ? `[file: ${payload.filename}]` : fallback
}
