import { randomBytes } from 'node:crypto'
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { FakeConnections } from './fake-connections.js'
import type { Update } from 'telegraf/types'
import { BodyError, parseParams, readBody, type FakeUpload, type Params } from './telegram-body.js'
import { badRequest, checkEntities, checkReplyMarkup, parseText, TelegramApiError, trimFormatted, type Formatted, type TgEntity } from './telegram-format.js'
import {
  createUpdateBuilders,
  type ChatBook,
  type FakeFile,
  type FileKind,
  type TgChat,
  type TgMessage,
  type TgUpdate,
  type TgUser,
  type UpdateBuilders,
} from './telegram-updates.js'

export { TelegramApiError }

/** What the builders return (telegraf's types) or any hand-made update, known type or not. */
export type AnyUpdate = Update | TgUpdate
export type { ChatBook, FakeFile, FakeUpload, Params, TgChat, TgEntity, TgMessage, TgUpdate, TgUser, UpdateBuilders }

/** A token bucket: holds `points`, refills `points` every `seconds`. */
export interface Bucket {
  points: number
  seconds: number
}

export interface FakeTelegramLimits {
  /** Private chats (positive ids). Default 3 per 3 s: one a second with a burst of three. */
  perChat?: Bucket
  /** Groups (negative ids). Default 20 per minute. */
  perGroup?: Bucket
  /** All chats together. Default 30 per second. */
  global?: Bucket
}

export interface FakeTelegramOptions {
  /** The only token accepted; default a random `<bot id>:<35 chars>`. */
  token?: string
  /** false disables flood control. Only message sends and edits are counted, not chat actions. */
  limits?: false | FakeTelegramLimits
  /** Chats that answer "chat not found". */
  unknownChats?: number[]
  /** Chats whose user blocked the bot: 403 "Forbidden: bot was blocked by the user". */
  blockedChats?: number[]
  /** Groups upgraded to supergroups: old id → new id. */
  migratedChats?: Record<number, number>
  /** Clock for message dates and token buckets, in ms; default Date.now. */
  now?: () => number
}

type FaultTarget = {
  /** Method name, case-insensitive; any method when omitted. */
  method?: string
  /** Only calls for this chat_id. */
  chatId?: number | string
}

/** What goes wrong on the next matching call. Each queued fault is used once, in order. */
export type FakeTelegramFault = FaultTarget &
  (
    | { status: 429; retryAfter?: number }
    | { status: 500 | 502 | 503 | 504 }
    /** Never answers (the call is not performed) until releaseHeld() or close() cuts the connection. */
    | { hang: true }
    /** Performs the call, then cuts the connection before answering: sent, but the client can't know. */
    | { drop: true }
    /** Waits this many ms, then performs the call normally. */
    | { slow: number }
  )

export interface FakeCall {
  /** Canonical method name (as sent when unknown). `file` for downloads. */
  method: string
  params: Params
  at: number
  /** HTTP status the fake decided on; null while held (hang, long poll). A dropped call keeps its status. */
  status: number | null
  /** Error description when the call failed. */
  description?: string
  fault?: 'status' | 'hang' | 'drop' | 'slow'
  /** `webhook-reply` for a method the gateway put in its webhook response body. */
  via: 'http' | 'webhook-reply'
}

/** A message a user would see, as it looks now (edits apply in place). */
export interface SentMessage {
  method: 'sendMessage' | 'sendPhoto' | 'sendDocument'
  chatId: number
  messageId: number
  /** The text, or the caption of media ('' when there is none), after parsing. */
  text: string
  entities: TgEntity[]
  parseMode?: string
  replyMarkup?: unknown
  replyTo?: number
  file?: FakeFile
  disableNotification: boolean
  at: number
  /** New versions from editMessageText, oldest first. */
  edits: Array<{ text: string; entities: TgEntity[]; at: number }>
  /** The Message object returned to the caller (updated by edits). */
  message: TgMessage
}

export interface ChatActionRecord {
  chatId: number
  action: string
  at: number
}

export interface DeliveryOptions {
  /** Default: the registered webhook url. */
  url?: string
  /** Default: the registered secret_token; null sends no header. */
  secret?: string | null
  /** How long to wait for the response; Telegram waits 60 s. */
  timeoutMs?: number
}

export interface RedeliveryOptions extends DeliveryOptions {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number
  /** Pause before retry n (1-based). Default 0: tests need the behaviour, not Telegram's schedule. */
  backoffMs?: number | ((attempt: number) => number)
  /** Stop retrying once this much time (on the fake's clock) has passed; Telegram keeps updates 24 h. */
  ttlMs?: number
}

export interface DeliveryResult {
  /** HTTP status, 0 when there was none (timeout, refused, reset). */
  status: number
  body: string
  /** `timeout`, or the connection error code, when status is 0. */
  error?: string
}

export interface AckResult extends DeliveryResult {
  acked: boolean
  attempts: number
}

export interface DeliveryRecord {
  updateId: number
  url: string
  status: number
  error?: string
  at: number
}

export interface WebhookState {
  url: string
  secret?: string
  maxConnections: number
  allowedUpdates?: string[]
  lastErrorDate?: number
  lastErrorMessage?: string
}

export interface FakeTelegram {
  /** Give this to telegraf as `apiRoot`. */
  readonly apiRoot: string
  readonly token: string
  /** What getMe returns. */
  readonly bot: TgUser
  /** Every API call in arrival order, rejected ones included. */
  readonly calls: FakeCall[]
  /** Messages actually accepted. */
  readonly sent: SentMessage[]
  readonly chatActions: ChatActionRecord[]
  /** callback_query ids answered, in order. */
  readonly answeredCallbacks: string[]
  /** Every webhook POST made by deliver*. */
  readonly deliveries: DeliveryRecord[]
  readonly webhook: Readonly<WebhookState>
  /** Live sets: change them to change how the fake treats a chat. */
  readonly unknownChats: Set<number>
  readonly blockedChats: Set<number>
  readonly migratedChats: Map<number, number>
  readonly updates: UpdateBuilders
  setLimits(limits: false | FakeTelegramLimits): void
  fault(fault: FakeTelegramFault, times?: number): void
  /** Stores a file as if a user had sent it, for getFile and download. */
  addFile(data: Buffer, meta?: { kind?: FileKind; fileName?: string; mimeType?: string }): FakeFile
  /** Queues updates for getUpdates (long polls wake up). */
  enqueue(...updates: AnyUpdate[]): void
  /** POSTs one update like Telegram's webhook sender, once. Runs a method found in a 2xx reply body. */
  deliver(update: AnyUpdate, options?: DeliveryOptions): Promise<DeliveryResult>
  /** Re-sends the same update on non-2xx or timeout, as Telegram does. */
  deliverUntilAcked(update: AnyUpdate, options?: RedeliveryOptions): Promise<AckResult>
  /** One chat's updates wait for the previous one's ack; chats run concurrently up to maxConnections. Results in input order. */
  deliverAll(updates: AnyUpdate[], options?: RedeliveryOptions & { maxConnections?: number }): Promise<AckResult[]>
  /** The visible texts sent to a chat, in order. */
  textsTo(chatId: number): string[]
  callsTo(method: string): FakeCall[]
  /** Resolves with the predicate's first truthy value; re-checked on every change and every 10 ms. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>
  /** Cuts the connections of hung calls now (the client sees a reset); returns how many. */
  releaseHeld(): number
  /** Client connections open to the fake, keep-alive ones included: 0 once the client let go. */
  openConnections(): number
  /** Forgets records, faults, queues, webhook, messages and buckets; options apply again. Ids keep increasing. */
  reset(): void
  /** Cuts held requests and keep-alive sockets and stops the server. */
  close(): Promise<void>
}

const DEFAULT_LIMITS: Required<FakeTelegramLimits> = {
  perChat: { points: 3, seconds: 3 },
  perGroup: { points: 20, seconds: 60 },
  global: { points: 30, seconds: 1 },
}

const METHODS = new Map(
  ['getMe', 'setWebhook', 'deleteWebhook', 'getWebhookInfo', 'getUpdates', 'sendMessage', 'editMessageText', 'answerCallbackQuery', 'sendChatAction', 'sendPhoto', 'sendDocument', 'getFile'].map(
    (m) => [m.toLowerCase(), m],
  ),
)

const CHAT_ACTIONS = new Set(['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note'])

/** Update types Telegram leaves out unless allowed_updates names them. */
const OPT_IN_UPDATES = new Set(['chat_member', 'message_reaction', 'message_reaction_count'])

const NOT_MODIFIED = 'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message'
const MAX_DOWNLOAD = 20 * 1024 * 1024

const MIME_TYPES: Record<string, string> = { pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', json: 'application/json', zip: 'application/zip', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', ogg: 'audio/ogg' }

type Outcome = { ok: true; result: unknown; description?: string } | { ok: false; error: TelegramApiError }

/** A result that Telegram sends with a `description` next to it (setWebhook, deleteWebhook). */
class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined)
const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : undefined)
const bool = (v: unknown) => v === true || v === 'true' || v === 1 || v === '1'
const isUpload = (v: unknown): v is FakeUpload => typeof v === 'object' && v !== null && Buffer.isBuffer((v as FakeUpload).data)
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
const loose = (update: AnyUpdate) => update as unknown as TgUpdate
const updateType = (update: TgUpdate) => Object.keys(update).find((key) => key !== 'update_id') ?? ''
const isLoopback = (host: string) => host === 'localhost' || host === '[::1]' || /^127\./.test(host)

/** Form and multipart bodies carry objects as JSON strings; Telegram decodes them per field. */
function jsonParam(p: Params, name: string, what: string): unknown {
  const value = p[name]
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch {
    throw badRequest(`can't parse ${what} JSON object`)
  }
}

function chatIdOf(update: TgUpdate): number | undefined {
  const body = update[updateType(update)] as Record<string, any> | undefined
  return body?.chat?.id ?? body?.message?.chat?.id ?? body?.from?.id
}

function outcomeOf(status: number, description: string, parameters?: TelegramApiError['parameters']): Outcome {
  return { ok: false, error: new TelegramApiError(status, description, parameters) }
}

const REASONS: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }

function respond(res: ServerResponse, outcome: Outcome): void {
  if (res.destroyed) return
  if (!outcome.ok && outcome.error.code >= 502) {
    // These come from the nginx in front of the Bot API, not from the Bot API itself.
    const title = `${outcome.error.code} ${REASONS[outcome.error.code] ?? 'Error'}`
    res.writeHead(outcome.error.code, { 'content-type': 'text/html' })
    return void res.end(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n`)
  }
  const body = outcome.ok
    ? { ok: true, result: outcome.result, ...(outcome.description ? { description: outcome.description } : {}) }
    : { ok: false, error_code: outcome.error.code, description: outcome.error.description, ...(outcome.error.parameters ? { parameters: outcome.error.parameters } : {}) }
  res.writeHead(outcome.ok ? 200 : outcome.error.code, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

/**
 * A local Bot API as far as telegraf (or any HTTP client) can tell, plus the other half of
 * Telegram: a sender that calls the gateway's webhook the way Telegram does. See
 * /work/shared/notes/channels.md §1.9 for what it models.
 */
export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const now = options.now ?? Date.now
  const seconds = () => Math.floor(now() / 1000)
  const botId = 7_000_000_000 + randomBytes(3).readUIntBE(0, 3)
  const token = options.token ?? `${botId}:AA${randomBytes(25).toString('base64url').slice(0, 33)}`
  const botUser: TgUser = { id: Number(token.split(':')[0]) || botId, is_bot: true, first_name: 'Switchboard Test', username: 'switchboard_test_bot' }
  const bot: TgUser & Record<string, unknown> = {
    ...botUser,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  }

  const calls: FakeCall[] = []
  const sent: SentMessage[] = []
  const chatActions: ChatActionRecord[] = []
  const answeredCallbacks: string[] = []
  const deliveries: DeliveryRecord[] = []
  const unknownChats = new Set<number>()
  const blockedChats = new Set<number>()
  const migratedChats = new Map<number, number>()
  const faults: FakeTelegramFault[] = []
  const buckets = new Map<string, { tokens: number; at: number }>()
  const chats = new Map<number, TgChat>()
  const messages = new Map<number, Map<number, { message: TgMessage; fromBot: boolean }>>()
  const lastMessageIds = new Map<number, number>()
  const openCallbacks = new Set<string>()
  const files = new Map<string, FakeFile>()
  const queue: TgUpdate[] = []
  let limits: false | Required<FakeTelegramLimits> = DEFAULT_LIMITS
  let webhook: WebhookState = { url: '', maxConnections: 40 }
  let allowedUpdates: string[] | undefined
  let nextUpdateId = 100_000 + randomBytes(2).readUInt16BE()
  let inFlight = 0
  let filesIssued = 0
  let pollGeneration = 0
  let closed = false

  // Anything waiting on the fake's state (waitFor, long polls) re-checks on every change.
  const listeners = new Set<() => void>()
  const changed = () => {
    for (const listener of [...listeners]) listener()
  }
  const stoppers = new Set<() => void>()
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const stop = () => {
        clearTimeout(timer)
        stoppers.delete(stop)
        resolve()
      }
      const timer = setTimeout(stop, ms)
      stoppers.add(stop)
    })
  /** Resolves true once `condition` holds, false at the deadline or on close. */
  const until = (condition: () => boolean, timeoutMs: number, pollMs?: number) =>
    new Promise<boolean>((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer)
        clearInterval(poll)
        listeners.delete(check)
        stoppers.delete(stop)
        resolve(result)
      }
      const check = () => {
        if (condition()) finish(true)
      }
      const stop = () => finish(false)
      const timer = setTimeout(stop, timeoutMs)
      const poll = pollMs ? setInterval(check, pollMs) : undefined
      listeners.add(check)
      stoppers.add(stop)
      check()
    })

  function applyOptions() {
    limits = options.limits === false ? false : { ...DEFAULT_LIMITS, ...options.limits }
    for (const id of options.unknownChats ?? []) unknownChats.add(id)
    for (const id of options.blockedChats ?? []) blockedChats.add(id)
    for (const [from, to] of Object.entries(options.migratedChats ?? {})) migratedChats.set(Number(from), to)
  }
  applyOptions()

  // ---- What the fake remembers about chats, shared with the update builders ----

  function remember(message: TgMessage, fromBot: boolean) {
    const chatId = message.chat.id
    if (!chats.has(chatId)) chats.set(chatId, message.chat)
    let inChat = messages.get(chatId)
    if (!inChat) messages.set(chatId, (inChat = new Map()))
    const known = inChat.get(message.message_id)
    inChat.set(message.message_id, { message, fromBot: known?.fromBot ?? fromBot })
    lastMessageIds.set(chatId, Math.max(lastMessageIds.get(chatId) ?? 0, message.message_id))
  }

  const isMessage = (v: unknown): v is TgMessage =>
    typeof v === 'object' && v !== null && typeof (v as TgMessage).message_id === 'number' && typeof (v as TgMessage).chat?.id === 'number'

  function addFile(data: Buffer, meta: { kind?: FileKind; fileName?: string; mimeType?: string } = {}): FakeFile {
    const kind = meta.kind ?? 'document'
    const prefix = { photo: 'AgACAgIAAxkBAAI', document: 'BQACAgIAAxkBAAI', voice: 'AwACAgIAAxkBAAI' }[kind]
    const extension = meta.fileName?.split('.').pop() ?? { photo: 'jpg', document: 'dat', voice: 'oga' }[kind]
    const file: FakeFile = {
      fileId: `${prefix}${randomBytes(24).toString('base64url')}`,
      fileUniqueId: `AQAD${randomBytes(8).toString('base64url')}`,
      filePath: `${{ photo: 'photos', document: 'documents', voice: 'voice' }[kind]}/file_${filesIssued++}.${extension}`,
      kind,
      size: data.length,
      fileName: meta.fileName,
      mimeType: meta.mimeType ?? (kind === 'document' ? (MIME_TYPES[extension.toLowerCase()] ?? 'application/octet-stream') : undefined),
      data,
    }
    files.set(file.fileId, file)
    return file
  }

  const book: ChatBook = {
    bot: botUser,
    seconds,
    nextUpdateId: () => nextUpdateId++,
    jumpUpdateId: (to) => void (nextUpdateId = to),
    nextMessageId(chatId) {
      const id = (lastMessageIds.get(chatId) ?? 0) + 1
      lastMessageIds.set(chatId, id)
      return id
    },
    chat(chatId, user) {
      const known = chats.get(chatId)
      if (known) return known
      const chat: TgChat =
        chatId > 0
          ? { id: chatId, type: 'private', first_name: user?.first_name ?? 'Test', ...(user?.last_name ? { last_name: user.last_name } : {}), ...(user?.username ? { username: user.username } : {}) }
          : { id: chatId, type: chatId < -1_000_000_000_000 ? 'supergroup' : 'group', title: 'Test Group' }
      chats.set(chatId, chat)
      return chat
    },
    message: (chatId, messageId) => messages.get(chatId)?.get(messageId)?.message,
    lastMessage(chatId, fromBot) {
      const inChat = [...(messages.get(chatId)?.values() ?? [])].filter((m) => m.fromBot === fromBot)
      return inChat.sort((a, b) => a.message.message_id - b.message.message_id).at(-1)?.message
    },
    learn(update) {
      for (const field of ['message', 'edited_message', 'channel_post', 'edited_channel_post']) {
        const value = update[field]
        if (isMessage(value)) remember(value, false)
      }
      const query = update.callback_query as { id?: unknown; message?: unknown } | undefined
      if (typeof query?.id === 'string') openCallbacks.add(query.id)
      if (isMessage(query?.message)) remember(query.message, true)
    },
    addFile: (data, meta) => addFile(data, meta),
    migrate: (chatId, toChatId) => void migratedChats.set(chatId, toChatId),
  }

  // ---- API methods ----

  function resolveChat(raw: unknown): number {
    if (raw === undefined || raw === null || raw === '') throw badRequest('chat_id is empty')
    const id = int(raw)
    if (id === undefined || id === 0 || !Number.isSafeInteger(id) || unknownChats.has(id)) throw badRequest('chat not found')
    const to = migratedChats.get(id)
    if (to !== undefined) throw new TelegramApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: to })
    if (blockedChats.has(id)) throw new TelegramApiError(403, 'Forbidden: bot was blocked by the user')
    return id
  }

  function throttle(chatId: number) {
    if (!limits) return
    const t = now()
    const group = chatId < 0
    const applicable = [
      ['global', limits.global],
      [`${group ? 'group' : 'chat'}:${chatId}`, group ? limits.perGroup : limits.perChat],
    ] as const
    let waitMs = 0
    const states = applicable.flatMap(([key, bucket]) => {
      if (!bucket) return []
      const state = buckets.get(key) ?? { tokens: bucket.points, at: t }
      state.tokens = Math.min(bucket.points, state.tokens + ((t - state.at) * bucket.points) / (bucket.seconds * 1000))
      state.at = t
      buckets.set(key, state)
      if (state.tokens < 1) waitMs = Math.max(waitMs, ((1 - state.tokens) * bucket.seconds * 1000) / bucket.points)
      return [state]
    })
    if (waitMs > 0) {
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000))
      throw new TelegramApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter })
    }
    for (const state of states) state.tokens -= 1
  }

  /** Markup errors come before the chat is looked up; explicit entities are checked after. */
  function markup(raw: string, p: Params): Formatted | undefined {
    const mode = str(p.parse_mode)
    return mode && mode.toLowerCase() !== 'none' ? parseText(raw, mode) : undefined
  }
  const explicit = (raw: string, p: Params, field: string): Formatted => ({
    text: raw,
    entities: p[field] === undefined ? [] : checkEntities(jsonParam(p, field, 'entities'), raw),
  })

  function replyMarkup(p: Params): unknown {
    const value = jsonParam(p, 'reply_markup', 'reply keyboard markup')
    if (value !== undefined) checkReplyMarkup(value)
    return value
  }
  // Only inline keyboards are echoed back in the Message.
  const shownMarkup = (value: unknown) => ((value as { inline_keyboard?: unknown } | undefined)?.inline_keyboard ? value : undefined)

  function replyTarget(p: Params, chatId: number): TgMessage | undefined {
    const parameters = jsonParam(p, 'reply_parameters', 'reply parameters') as Record<string, unknown> | undefined
    if (parameters !== undefined && parameters.message_id === undefined) throw badRequest(`can't find field "message_id"`)
    const id = int(parameters?.message_id ?? p.reply_to_message_id)
    if (id === undefined) return undefined
    const target = messages.get(chatId)?.get(id)?.message
    if (!target && !bool(parameters?.allow_sending_without_reply ?? p.allow_sending_without_reply)) throw badRequest('message to be replied not found')
    if (!target) return undefined
    const { reply_to_message: _nested, ...shallow } = target
    return shallow as TgMessage
  }

  function send(method: SentMessage['method'], chatId: number, p: Params, content: Record<string, unknown>, text: Formatted, extra: { markup: unknown; replyTo?: TgMessage; file?: FakeFile }): TgMessage {
    const shown = shownMarkup(extra.markup)
    const message: TgMessage = {
      message_id: book.nextMessageId(chatId),
      from: botUser,
      chat: book.chat(chatId),
      date: seconds(),
      ...(extra.replyTo ? { reply_to_message: extra.replyTo } : {}),
      ...content,
      ...(shown ? { reply_markup: shown } : {}),
    }
    remember(message, true)
    sent.push({
      method,
      chatId,
      messageId: message.message_id,
      text: text.text,
      entities: text.entities,
      parseMode: str(p.parse_mode),
      replyMarkup: extra.markup,
      replyTo: extra.replyTo?.message_id,
      file: extra.file,
      disableNotification: bool(p.disable_notification),
      at: now(),
      edits: [],
      message,
    })
    return message
  }

  function sendMessage(p: Params) {
    const raw = str(p.text) ?? ''
    if (raw === '') throw badRequest('message text is empty')
    const parsed = markup(raw, p)
    const keyboard = replyMarkup(p)
    const chatId = resolveChat(p.chat_id)
    const text = trimFormatted(parsed ?? explicit(raw, p, 'entities'))
    if (text.text === '') throw badRequest('text must be non-empty')
    if (text.text.length > 4096) throw badRequest('message is too long')
    const replyTo = replyTarget(p, chatId)
    throttle(chatId)
    return send('sendMessage', chatId, p, { text: text.text, ...(text.entities.length ? { entities: text.entities } : {}) }, text, { markup: keyboard, replyTo })
  }

  /** A file_id the fake issued, an http(s) URL (not fetched) or an upload, like InputFile. */
  function inputFile(value: unknown, p: Params, kind: 'photo' | 'document'): FakeFile {
    const attached = typeof value === 'string' && value.startsWith('attach://') ? p[value.slice(9)] : value
    if (isUpload(attached)) return addFile(attached.data, { kind, fileName: attached.filename, mimeType: kind === 'photo' ? 'image/jpeg' : undefined })
    if (typeof attached === 'string' && files.has(attached)) return files.get(attached)!
    if (typeof attached === 'string' && /^https?:\/\/[^/]+/i.test(attached)) {
      const name = new URL(attached).pathname.split('/').pop() || undefined
      return addFile(Buffer.alloc(0), { kind, fileName: kind === 'document' ? (name ?? 'file') : undefined })
    }
    if (attached === undefined || attached === '') throw badRequest(`there is no ${kind} in the request`)
    throw badRequest('wrong file identifier/HTTP URL specified')
  }

  function sendMedia(kind: 'photo' | 'document', p: Params) {
    const raw = str(p.caption) ?? ''
    const parsed = raw ? markup(raw, p) : undefined
    const keyboard = replyMarkup(p)
    const chatId = resolveChat(p.chat_id)
    const caption = trimFormatted(parsed ?? explicit(raw, p, 'caption_entities'))
    if (caption.text.length > 1024) throw badRequest('message caption is too long')
    const file = inputFile(p[kind], p, kind)
    const replyTo = replyTarget(p, chatId)
    throttle(chatId)
    const ref = { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size }
    const media =
      kind === 'photo'
        ? // The fake does not decode images; the size is nominal.
          { photo: [{ ...ref, width: 320, height: 240 }] }
        : { document: { ...(file.fileName ? { file_name: file.fileName } : {}), ...(file.mimeType ? { mime_type: file.mimeType } : {}), ...ref } }
    const captionFields = caption.text ? { caption: caption.text, ...(caption.entities.length ? { caption_entities: caption.entities } : {}) } : {}
    return send(kind === 'photo' ? 'sendPhoto' : 'sendDocument', chatId, p, { ...media, ...captionFields }, caption, { markup: keyboard, replyTo, file })
  }

  function editMessageText(p: Params) {
    const raw = str(p.text) ?? ''
    if (raw === '') throw badRequest('message text is empty')
    const parsed = markup(raw, p)
    const keyboard = replyMarkup(p)
    // Guess: inline-mode messages are not modelled.
    if (p.inline_message_id !== undefined) throw badRequest('MESSAGE_ID_INVALID')
    const chatId = resolveChat(p.chat_id)
    const messageId = int(p.message_id)
    if (messageId === undefined) throw badRequest('message identifier is not specified')
    const text = trimFormatted(parsed ?? explicit(raw, p, 'entities'))
    if (text.text === '') throw badRequest('text must be non-empty')
    if (text.text.length > 4096) throw badRequest('message is too long')
    const stored = messages.get(chatId)?.get(messageId)
    if (!stored) throw badRequest('message to edit not found')
    if (!stored.fromBot || typeof stored.message.text !== 'string') throw badRequest("message can't be edited")
    const shown = shownMarkup(keyboard)
    if (stored.message.text === text.text && same(stored.message.entities ?? [], text.entities) && same(stored.message.reply_markup, shown)) throw badRequest(NOT_MODIFIED)
    throttle(chatId)
    // Without reply_markup an edit removes the inline keyboard, as in Telegram.
    const { entities: _e, reply_markup: _m, ...rest } = stored.message
    stored.message = { ...rest, text: text.text, ...(text.entities.length ? { entities: text.entities } : {}), ...(shown ? { reply_markup: shown } : {}), edit_date: seconds() }
    const record = sent.find((s) => s.chatId === chatId && s.messageId === messageId)
    if (record) {
      record.edits.push({ text: text.text, entities: text.entities, at: now() })
      Object.assign(record, { text: text.text, entities: text.entities, replyMarkup: keyboard, message: stored.message })
    }
    return stored.message
  }

  function setWebhook(p: Params) {
    const url = str(p.url) ?? ''
    if (url === '') return deleteWebhook(p)
    let parsed: URL | undefined
    try {
      parsed = new URL(url)
    } catch {
      parsed = undefined
    }
    // Loopback over plain HTTP is the one liberty taken, so tests can point at a local server.
    const loopback = parsed !== undefined && isLoopback(parsed.hostname)
    if (!parsed || !(parsed.protocol === 'https:' || (loopback && parsed.protocol === 'http:'))) throw badRequest('bad webhook: An HTTPS URL must be provided for webhook')
    if (!loopback && !['', '80', '88', '443', '8443'].includes(parsed.port)) throw badRequest('bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443')
    const secret = str(p.secret_token) ?? ''
    if (secret.length > 256) throw badRequest('secret token is too long')
    if (secret && !/^[A-Za-z0-9_-]+$/.test(secret)) throw badRequest('secret token contains unallowed characters')
    if (p.allowed_updates !== undefined) allowedUpdates = jsonParam(p, 'allowed_updates', 'allowed updates') as string[]
    if (bool(p.drop_pending_updates)) queue.length = 0
    const next: WebhookState = { url, ...(secret ? { secret } : {}), maxConnections: Math.min(100, Math.max(1, int(p.max_connections) ?? 40)) }
    const unchanged = webhook.url === url && webhook.secret === next.secret && webhook.maxConnections === next.maxConnections
    webhook = { ...next, ...(unchanged ? { lastErrorDate: webhook.lastErrorDate, lastErrorMessage: webhook.lastErrorMessage } : {}) }
    return new Described(true, unchanged ? 'Webhook is already set' : 'Webhook was set')
  }

  function deleteWebhook(p: Params) {
    if (bool(p.drop_pending_updates)) queue.length = 0
    const had = webhook.url !== ''
    webhook = { url: '', maxConnections: 40 }
    return new Described(true, had ? 'Webhook was deleted' : 'Webhook is already deleted')
  }

  function getWebhookInfo() {
    return {
      url: webhook.url,
      has_custom_certificate: false,
      pending_update_count: queue.length + inFlight,
      ...(webhook.lastErrorDate !== undefined ? { last_error_date: webhook.lastErrorDate, last_error_message: webhook.lastErrorMessage } : {}),
      ...(webhook.url ? { max_connections: webhook.maxConnections } : {}),
      ...(webhook.url && allowedUpdates ? { allowed_updates: allowedUpdates } : {}),
    }
  }

  async function getUpdates(p: Params) {
    if (webhook.url) throw new TelegramApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
    const generation = ++pollGeneration
    changed()
    const offset = int(p.offset)
    if (offset !== undefined) {
      // A negative offset keeps only the last -offset updates.
      const keepFrom = offset < 0 ? Math.max(0, queue.length + offset) : queue.findIndex((u) => u.update_id >= offset)
      queue.splice(0, keepFrom < 0 ? queue.length : keepFrom)
    }
    if (p.allowed_updates !== undefined) allowedUpdates = jsonParam(p, 'allowed_updates', 'allowed updates') as string[]
    const wanted = (u: TgUpdate) => (allowedUpdates?.length ? allowedUpdates.includes(updateType(u)) : !OPT_IN_UPDATES.has(updateType(u)))
    const limit = Math.min(100, Math.max(1, int(p.limit) ?? 100))
    const timeout = Math.max(0, int(p.timeout) ?? 0)
    if (timeout > 0 && !queue.some(wanted)) {
      await until(() => generation !== pollGeneration || queue.some(wanted), timeout * 1000)
      if (generation !== pollGeneration)
        throw new TelegramApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running')
    }
    // Telegram discards updates of types the bot did not ask for.
    const kept = queue.filter(wanted)
    queue.splice(0, queue.length, ...kept)
    return kept.slice(0, limit)
  }

  const handlers: Record<string, (p: Params) => unknown> = {
    getMe: () => bot,
    setWebhook,
    deleteWebhook,
    getWebhookInfo,
    getUpdates,
    sendMessage,
    editMessageText,
    sendPhoto: (p) => sendMedia('photo', p),
    sendDocument: (p) => sendMedia('document', p),
    sendChatAction(p) {
      const chatId = resolveChat(p.chat_id)
      const action = str(p.action) ?? ''
      if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request')
      chatActions.push({ chatId, action, at: now() })
      return true
    },
    answerCallbackQuery(p) {
      const id = str(p.callback_query_id) ?? ''
      if (!openCallbacks.delete(id)) throw badRequest('query is too old and response timeout expired or query id is invalid')
      answeredCallbacks.push(id)
      return true
    },
    getFile(p) {
      const file = files.get(str(p.file_id) ?? '')
      if (!file) throw badRequest('invalid file_id')
      if (file.size > MAX_DOWNLOAD) throw badRequest('file is too big')
      return { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.size, file_path: file.filePath }
    },
  }

  async function execute(method: string, params: Params): Promise<Outcome> {
    try {
      const result = await handlers[method]!(params)
      return result instanceof Described ? { ok: true, result: result.result, description: result.description } : { ok: true, result }
    } catch (error) {
      if (error instanceof TelegramApiError) return { ok: false, error }
      throw error
    }
  }

  function settle(call: FakeCall, outcome: Outcome) {
    call.status = outcome.ok ? 200 : outcome.error.code
    if (!outcome.ok) call.description = outcome.error.description
    changed()
  }

  function takeFault(method: string, params: Params): FakeTelegramFault | undefined {
    const index = faults.findIndex(
      (f) => (!f.method || f.method.toLowerCase() === method.toLowerCase()) && (f.chatId === undefined || String(f.chatId) === String(params.chat_id)),
    )
    return index < 0 ? undefined : faults.splice(index, 1)[0]
  }

  // ---- HTTP ----

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => respond(res, outcomeOf(500, `Internal Server Error: fake Telegram failed: ${String(error)}`)))
  })
  const connections = new FakeConnections(server, () => changed())

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake')
    const body = await readBody(req)
    const download = /^\/file\/bot([^/]*)\/(.+)$/.exec(url.pathname)
    if (download) return serveFile(res, download[1]!, decodeURIComponent(download[2]!))

    const route = /^\/bot([^/]*)\/([^/]+)\/?$/.exec(url.pathname)
    if (!route || (req.method !== 'GET' && req.method !== 'POST')) return respond(res, outcomeOf(404, 'Not Found'))
    const method = METHODS.get(route[2]!.toLowerCase())
    let params: Params = {}
    let unreadable: string | undefined
    try {
      params = parseParams(req.headers['content-type'], body, url.searchParams)
    } catch (error) {
      if (!(error instanceof BodyError)) throw error
      unreadable = error.message
    }
    const call: FakeCall = { method: method ?? route[2]!, params, at: now(), status: null, via: 'http' }
    calls.push(call)

    let outcome: Outcome
    if (route[1] !== token) outcome = outcomeOf(401, 'Unauthorized')
    else if (!method) outcome = outcomeOf(404, 'Not Found')
    // Guess: the wording for a body that is not the JSON it claims to be.
    else if (unreadable) outcome = outcomeOf(400, `Bad Request: ${unreadable}`)
    else {
      const fault = takeFault(method, params)
      if (fault) call.fault = 'status' in fault ? 'status' : 'hang' in fault ? 'hang' : 'drop' in fault ? 'drop' : 'slow'
      if (fault && 'hang' in fault) {
        connections.hold(res)
        return changed()
      }
      if (fault && 'status' in fault) {
        const retryAfter = 'retryAfter' in fault ? (fault.retryAfter ?? 1) : 1
        outcome =
          fault.status === 429
            ? outcomeOf(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter })
            : outcomeOf(fault.status, REASONS[fault.status] ?? 'Internal Server Error')
      } else {
        if (fault && 'slow' in fault) await sleep(fault.slow)
        if (closed) return
        outcome = await execute(method, params)
      }
      if (fault && 'drop' in fault) {
        settle(call, outcome)
        return void req.socket.destroy()
      }
    }
    settle(call, outcome)
    respond(res, outcome)
  }

  function serveFile(res: ServerResponse, givenToken: string, path: string) {
    const file = givenToken === token ? [...files.values()].find((f) => f.filePath === path) : undefined
    const call: FakeCall = { method: 'file', params: { file_path: path }, at: now(), status: null, via: 'http' }
    calls.push(call)
    if (!file) {
      const outcome = givenToken === token ? outcomeOf(404, 'Not Found') : outcomeOf(401, 'Unauthorized')
      settle(call, outcome)
      return respond(res, outcome)
    }
    settle(call, { ok: true, result: null })
    res.writeHead(200, { 'content-type': file.mimeType ?? 'application/octet-stream', 'content-length': file.size })
    res.end(file.data)
  }

  // ---- Webhook sender ----

  const outgoing = new Set<ClientRequest>()

  function post(target: string, payload: string, secret: string | undefined, timeoutMs: number) {
    return new Promise<{ status: number; reason?: string; body: Buffer; contentType?: string; error?: string }>((resolve) => {
      const url = new URL(target)
      const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
      if (secret !== undefined) headers['x-telegram-bot-api-secret-token'] = secret
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'POST', headers, agent: false }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => done({ status: res.statusCode ?? 0, reason: res.statusMessage, body: Buffer.concat(chunks), contentType: res.headers['content-type'] }))
        res.on('error', (error: NodeJS.ErrnoException) => done({ status: 0, body: Buffer.alloc(0), error: error.code ?? error.message }))
      })
      const timer = setTimeout(() => {
        done({ status: 0, body: Buffer.alloc(0), error: 'timeout' })
        req.destroy()
      }, timeoutMs)
      const done = (result: Parameters<typeof resolve>[0]) => {
        clearTimeout(timer)
        outgoing.delete(req)
        resolve(result)
      }
      outgoing.add(req)
      req.on('error', (error: NodeJS.ErrnoException) => done({ status: 0, body: Buffer.alloc(0), error: error.code ?? error.message }))
      req.end(payload)
    })
  }

  /** A 2xx reply may carry a method call, which Telegram performs without reporting back. */
  async function runWebhookReply(contentType: string | undefined, body: Buffer) {
    let params: Params
    try {
      params = parseParams(contentType, body)
    } catch {
      return
    }
    const name = typeof params.method === 'string' ? params.method.toLowerCase() : ''
    const method = METHODS.get(name)
    if (!method || name.startsWith('get') || name === 'setwebhook' || name === 'deletewebhook') return
    const { method: _name, ...rest } = params
    const call: FakeCall = { method, params: rest, at: now(), status: null, via: 'webhook-reply' }
    calls.push(call)
    settle(call, await execute(method, rest))
  }

  async function attempt(update: AnyUpdate, o: DeliveryOptions): Promise<DeliveryResult> {
    const target = o.url ?? webhook.url
    if (!target) throw new Error('fake Telegram: no webhook is set and deliver() got no url')
    const secret = o.secret === undefined ? webhook.secret : (o.secret ?? undefined)
    const u = loose(update)
    book.learn(u)
    const response = await post(target, JSON.stringify(update), secret, o.timeoutMs ?? 60_000)
    const result: DeliveryResult = { status: response.status, body: response.body.toString('utf8'), ...(response.error ? { error: response.error } : {}) }
    deliveries.push({ updateId: u.update_id, url: target, status: result.status, ...(result.error ? { error: result.error } : {}), at: now() })
    if (result.status >= 200 && result.status < 300) {
      if (response.body.length > 0) await runWebhookReply(response.contentType, response.body)
    } else {
      webhook.lastErrorDate = seconds()
      webhook.lastErrorMessage =
        result.status > 0
          ? `Wrong response from the webhook: ${result.status} ${response.reason ?? ''}`.trim()
          : result.error === 'timeout'
            ? 'Connection timed out'
            : result.error === 'ECONNREFUSED'
              ? 'Connection refused'
              : `Connection error: ${result.error}`
    }
    changed()
    return result
  }

  async function deliverUntilAcked(update: AnyUpdate, o: RedeliveryOptions = {}): Promise<AckResult> {
    const attempts = Math.max(1, o.attempts ?? 3)
    const giveUpAt = now() + (o.ttlMs ?? Infinity)
    inFlight++
    try {
      let last: DeliveryResult = { status: 0, body: '' }
      let n = 0
      while (n < attempts && !closed && (n === 0 || now() < giveUpAt)) {
        if (n > 0) await sleep(typeof o.backoffMs === 'function' ? o.backoffMs(n) : (o.backoffMs ?? 0))
        last = await attempt(update, o)
        n++
        if (last.status >= 200 && last.status < 300) return { ...last, acked: true, attempts: n }
      }
      return { ...last, acked: false, attempts: n }
    } finally {
      inFlight--
    }
  }

  async function deliverAll(updates: AnyUpdate[], o: RedeliveryOptions & { maxConnections?: number } = {}) {
    const max = Math.max(1, o.maxConnections ?? 40)
    let active = 0
    const waiting: Array<() => void> = []
    const chains = new Map<string, Promise<unknown>>()
    return Promise.all(
      updates.map((update, index) => {
        const key = String(chatIdOf(loose(update)) ?? `#${index}`)
        const run = (chains.get(key) ?? Promise.resolve()).then(async () => {
          while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve))
          active++
          try {
            return await deliverUntilAcked(update, o)
          } finally {
            active--
            waiting.shift()?.()
          }
        })
        chains.set(key, run.catch(() => undefined))
        return run
      }),
    )
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  const describeCall = (c: FakeCall) => `${c.method} ${c.status ?? 'held'}${c.description ? ` "${c.description}"` : ''}`

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    bot,
    calls,
    sent,
    chatActions,
    answeredCallbacks,
    deliveries,
    get webhook() {
      return webhook
    },
    unknownChats,
    blockedChats,
    migratedChats,
    updates: createUpdateBuilders(book),
    setLimits(next) {
      limits = next === false ? false : { ...DEFAULT_LIMITS, ...next }
      buckets.clear()
    },
    fault(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault)
    },
    addFile,
    enqueue(...updates) {
      for (const update of updates) book.learn(loose(update))
      queue.push(...updates.map(loose))
      changed()
    },
    async deliver(update, o = {}) {
      inFlight++
      try {
        return await attempt(update, o)
      } finally {
        inFlight--
      }
    },
    deliverUntilAcked,
    deliverAll,
    textsTo: (chatId) => sent.filter((m) => m.chatId === chatId).map((m) => m.text),
    callsTo: (method) => calls.filter((c) => c.method.toLowerCase() === method.toLowerCase()),
    async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 2000): Promise<T> {
      let value: T | undefined | null | false
      let failure: { error: unknown } | undefined
      // A throwing predicate must reject this wait, not the request handler that triggered the check.
      const check = () => {
        try {
          return Boolean((value = predicate()))
        } catch (error) {
          failure = { error }
          return true
        }
      }
      const met = await until(check, timeoutMs, 10)
      if (failure) throw failure.error
      if (!met) {
        const recent = calls.slice(-5).map(describeCall).join('; ') || 'none'
        throw new Error(`fake Telegram: waitFor gave up after ${timeoutMs} ms (last calls: ${recent})`)
      }
      return value as T
    },
    releaseHeld: () => connections.releaseHeld(),
    openConnections: () => connections.open,
    reset() {
      for (const list of [calls, sent, chatActions, answeredCallbacks, deliveries, faults, queue]) list.length = 0
      for (const collection of [buckets, chats, messages, openCallbacks, files, unknownChats, blockedChats, migratedChats]) collection.clear()
      webhook = { url: '', maxConnections: 40 }
      allowedUpdates = undefined
      applyOptions()
      changed()
    },
    async close() {
      if (closed) return
      closed = true
      for (const stop of [...stoppers]) stop()
      for (const req of outgoing) req.destroy()
      await connections.close()
    },
  }
}
