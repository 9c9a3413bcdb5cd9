import { z } from 'zod'
import type { ActivityKind, InboundActivity, Part } from '../../core/index.js'

/** Which channel instance an activity arrived at. */
export interface Owner {
  tenant: string
  instance: string
}

/**
 * What a reply needs to reach a Teams conversation later, from any replica and after a restart:
 * stored with the conversation (ConversationLinks) and read back by `send`.
 */
export interface TeamsReference {
  [key: string]: unknown
  serviceUrl: string
  channelId: string
  conversation: { id: string; conversationType?: string; isGroup?: boolean; tenantId?: string }
  /** The Teams (Entra) tenant of the conversation: `channelData.tenant.id`. */
  tenantId?: string
  bot: { id: string; name?: string }
  user: { id: string; name?: string; aadObjectId?: string }
}

/** An activity the pipeline will see, and where its replies go. */
export interface DecodedActivity {
  /** `conversation.id` is the Teams conversation id until the webhook links it to a stored conversation. */
  activity: InboundActivity
  reference: TeamsReference
}

const Account = z.looseObject({ id: z.string().min(1), name: z.string().optional(), aadObjectId: z.string().optional() })

/**
 * The fields this channel reads, checked before they are trusted; everything else passes through
 * untouched into `raw` (Teams adds fields often).
 */
export const WireActivity = z.looseObject({
  type: z.string().min(1),
  id: z.string().min(1).optional(),
  serviceUrl: z.string().min(1),
  channelId: z.string().min(1),
  timestamp: z.string().optional(),
  from: Account.optional(),
  recipient: Account.optional(),
  conversation: z.looseObject({
    id: z.string().min(1),
    conversationType: z.string().optional(),
    isGroup: z.boolean().optional(),
    tenantId: z.string().optional(),
  }),
  text: z.string().optional(),
  attachments: z.array(z.unknown()).optional(),
  entities: z.array(z.unknown()).optional(),
  channelData: z.looseObject({ tenant: z.looseObject({ id: z.string().optional() }).optional() }).optional(),
  value: z.unknown().optional(),
  name: z.string().optional(),
  locale: z.string().optional(),
  replyToId: z.string().optional(),
})
export type WireActivity = z.infer<typeof WireActivity>

/** What a card of ours puts in Action.Submit data, so the press comes back as the option's value. */
export const POSTBACK_KEY = 'postback'
export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive'
export const FILE_DOWNLOAD_INFO = 'application/vnd.microsoft.teams.file.download.info'

/**
 * Pure: a Teams activity → the activity the pipeline sees and the reference its replies use;
 * undefined for what the channel acknowledges and ignores (conversationUpdate, reactions,
 * typing, invokes other than card actions, unknown types, messages with nothing in them).
 */
export function decodeActivity(raw: unknown, owner: Owner, now: Date = new Date()): DecodedActivity | undefined {
  const parsed = WireActivity.safeParse(raw)
  if (!parsed.success) return undefined
  const wire = parsed.data
  if (!wire.id || !wire.from || !wire.recipient) return undefined
  const content = wire.type === 'message' ? messageContent(wire) : wire.type === 'invoke' && wire.name === 'adaptiveCard/action' ? cardAction(wire) : undefined
  if (!content) return undefined
  const channel = 'teams'
  const externalId = wire.conversation.id
  const timestamp = wire.timestamp ? new Date(wire.timestamp) : undefined
  const locale = wire.locale ?? clientInfoLocale(wire.entities)
  const activity: InboundActivity = {
    // Teams activity ids are unique per conversation only, and redelivered unchanged after 15 s.
    id: `${externalId}|${wire.id}`,
    tenant: owner.tenant,
    channel,
    instance: owner.instance,
    conversation: { id: externalId, tenant: owner.tenant, channel, instance: owner.instance, externalId },
    from: { id: wire.from.id, role: 'user', ...(wire.from.name ? { name: wire.from.name } : {}) },
    at: timestamp && !Number.isNaN(timestamp.getTime()) ? timestamp : now,
    kind: content.kind,
    text: content.text,
    parts: content.parts,
    ...(wire.replyToId ? { replyTo: wire.replyToId } : {}),
    ...(locale ? { locale } : {}),
    raw,
  }
  return { activity, reference: referenceOf(wire) }
}

/** Where replies to this activity go; a pure function of the activity. */
export function referenceOf(wire: WireActivity): TeamsReference {
  const { conversation } = wire
  const tenantId = wire.channelData?.tenant?.id ?? conversation.tenantId
  return {
    serviceUrl: wire.serviceUrl,
    channelId: wire.channelId,
    conversation: {
      id: conversation.id,
      ...(conversation.conversationType ? { conversationType: conversation.conversationType } : {}),
      ...(conversation.isGroup !== undefined ? { isGroup: conversation.isGroup } : {}),
      ...(conversation.tenantId ? { tenantId: conversation.tenantId } : {}),
    },
    ...(tenantId ? { tenantId } : {}),
    bot: { id: wire.recipient?.id ?? '', ...(wire.recipient?.name ? { name: wire.recipient.name } : {}) },
    user: {
      id: wire.from?.id ?? '',
      ...(wire.from?.name ? { name: wire.from.name } : {}),
      ...(wire.from?.aadObjectId ? { aadObjectId: wire.from.aadObjectId } : {}),
    },
  }
}

interface Content {
  kind: ActivityKind
  text: string
  parts: Part[]
}

function messageContent(wire: WireActivity): Content | undefined {
  const attachments = (wire.attachments ?? []).filter(isObject)
  const said = stripBotMention(wire.text ?? '', wire.entities ?? [], wire.recipient?.id ?? '')
  // Teams sends an HTML rendering of rich text beside `text`; only a message without text is read from it.
  const html = attachments.find((a) => a.contentType === 'text/html' && typeof a.content === 'string')
  const text = said !== '' ? said : html ? stripBotMention(htmlToText(html.content as string), wire.entities ?? [], wire.recipient?.id ?? '') : ''
  const media = attachments.flatMap(mediaPart)
  if (text === '' && media.length === 0) {
    // Action.Submit on an Adaptive Card posts its data as `value` with no text.
    if (wire.value === undefined || wire.value === null) return undefined
    const value = postbackValue(wire.value)
    return { kind: 'postback', text: value, parts: [{ type: 'text', text: value }] }
  }
  return { kind: 'message', text, parts: text === '' ? media : [...media, { type: 'text', text }] }
}

/** Action.Execute (universal actions) arrives as an invoke; its data is a postback like Action.Submit's. */
function cardAction(wire: WireActivity): Content | undefined {
  const action = isObject(wire.value) && isObject(wire.value.action) ? wire.value.action : undefined
  const data = action?.data ?? (isObject(wire.value) ? undefined : wire.value)
  if (data === undefined || data === null) return undefined
  const value = postbackValue(data)
  return { kind: 'postback', text: value, parts: [{ type: 'text', text: value }] }
}

/** The option value our cards put in their data; anything else (a form's fields) as compact JSON. */
export function postbackValue(data: unknown): string {
  if (typeof data === 'string') return data
  if (isObject(data) && typeof data[POSTBACK_KEY] === 'string') return data[POSTBACK_KEY]
  return JSON.stringify(data) ?? ''
}

/**
 * Removes the bot's own @mention (Teams only delivers channel and group messages that mention
 * it, so the mention says nothing). Other people's mentions keep their name without the markup.
 */
export function stripBotMention(text: string, entities: readonly unknown[], botId: string): string {
  let out = text
  for (const entity of entities) {
    if (!isObject(entity) || entity.type !== 'mention' || typeof entity.text !== 'string' || entity.text === '') continue
    const mentioned = isObject(entity.mentioned) ? entity.mentioned : undefined
    if (!botId || mentioned?.id !== botId) continue
    // The words either side stay apart; at a line's start or end nothing is left behind.
    out = out.replace(new RegExp(`[ \\t\\u00a0]*${escapeRegExp(entity.text)}[ \\t\\u00a0]*`, 'g'), (match, at: number, whole: string) => {
      const before = whole[at - 1]
      const after = whole[at + match.length]
      return before === undefined || after === undefined || before === '\n' || after === '\n' ? '' : ' '
    })
  }
  return out.replace(/<at>([\s\S]*?)<\/at>/g, '$1').trim()
}

function mediaPart(attachment: Record<string, unknown>): Part[] {
  const { contentType, contentUrl, name, content } = attachment
  const named = typeof name === 'string' && name !== '' ? { name } : {}
  if (contentType === FILE_DOWNLOAD_INFO && isObject(content) && isHttpUrl(content.downloadUrl)) {
    return [{ type: 'file', url: content.downloadUrl, ...named }]
  }
  if (typeof contentType !== 'string' || !isHttpUrl(contentUrl)) return []
  if (contentType.startsWith('image/')) return [{ type: 'image', url: contentUrl, mime: contentType, ...named }]
  if (contentType === 'text/html' || contentType.startsWith('application/vnd.microsoft.card.')) return []
  return [{ type: 'file', url: contentUrl, ...named, ...(contentType.includes('/') ? { mime: contentType } : {}) }]
}

function clientInfoLocale(entities: readonly unknown[] | undefined): string | undefined {
  const info = entities?.find((e) => isObject(e) && e.type === 'clientInfo')
  return isObject(info) && typeof info.locale === 'string' && info.locale !== '' ? info.locale : undefined
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/** Teams' rich-text HTML as plain text: line breaks kept, tags dropped, common entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>|<\/(?:p|div|li|h\d)>/gi, '\n')
    .replace(/<(?!\/?at>)[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
        return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\uFFFD'
      }
      return ENTITIES[name.toLowerCase()] ?? whole
    })
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isHttpUrl = (value: unknown): value is string => typeof value === 'string' && /^https?:\/\//i.test(value) && URL.canParse(value)
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
