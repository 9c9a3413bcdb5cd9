import { storableJson, storableText, type ActivityKind, type InboundActivity, type Part } from '../../core/index.js'
import { field, parseCallbackXml, XmlRefused, type XmlRecord } from './xml.js'

/** Which channel instance a callback arrived at, and what its activities say about themselves. */
export interface Owner {
  tenant: string
  instance: string
  locale: string
}

/** A callback the pipeline will see, and what a passive reply to it needs. */
export interface DecodedCallback {
  /** `conversation.id` is the user's id until the receiver links it to a stored conversation. */
  activity: InboundActivity
  /** The user (openid on an OA, UserID on WeCom): replies go to them. */
  user: string
  /** The account the callback was addressed to (OA original id `gh_…`, or the corpid): a passive reply comes from it. */
  account: string
}

/**
 * Media parts point at WeChat's MediaId, never at a download URL (that one carries the access
 * token); the instance says whose token can fetch it, since a MediaId belongs to one app.
 */
export const mediaUrl = (instance: string, mediaId: string): string => `wechat-media:${encodeURIComponent(instance)}/${encodeURIComponent(mediaId)}`

export function mediaOf(url: string): { instance: string; mediaId: string } | undefined {
  const match = /^wechat-media:([^/]+)\/(.+)$/.exec(url)
  return match ? { instance: decodeURIComponent(match[1]!), mediaId: decodeURIComponent(match[2]!) } : undefined
}

/** Pure: callback XML (plaintext) → the activity, when it is a message this channel handles. */
export function normalise(raw: unknown, owner: Owner): InboundActivity | undefined {
  if (typeof raw !== 'string') return undefined
  try {
    return decodeCallback(parseCallbackXml(raw), owner)?.activity
  } catch (error) {
    if (error instanceof XmlRefused) return undefined
    throw error
  }
}

/**
 * Pure: a callback's fields → the activity; undefined for kinds with nothing to answer (an
 * unknown MsgType, an event this channel does not take). Throws XmlRefused when a field every
 * callback has is missing.
 */
export function decodeCallback(record: XmlRecord, owner: Owner): DecodedCallback | undefined {
  const user = field(record, 'FromUserName')
  const account = field(record, 'ToUserName')
  const msgType = field(record, 'MsgType')
  const createTime = field(record, 'CreateTime')
  if (!user || !account || !msgType || !createTime || !/^\d{1,12}$/.test(createTime)) throw new XmlRefused('a callback needs FromUserName, ToUserName, MsgType and a numeric CreateTime')
  const content = msgType === 'event' ? eventContent(record) : messageContent(record, msgType, owner.instance)
  if (!content) return undefined
  const msgId = field(record, 'MsgId')
  // WeChat's dedup rule: MsgId for messages, FromUserName + CreateTime for events; Event and
  // EventKey are added so two different events in one second stay two.
  const id = msgId && /^\d{1,20}$/.test(msgId) ? msgId : ['ev', user, createTime, field(record, 'Event') ?? msgType, field(record, 'EventKey') ?? ''].join(':')
  const channel = 'wechat'
  const activity: InboundActivity = {
    id,
    tenant: owner.tenant,
    channel,
    instance: owner.instance,
    conversation: { id: user, tenant: owner.tenant, channel, instance: owner.instance, externalId: user },
    from: { id: user, role: 'user' },
    at: new Date(Number(createTime) * 1000),
    kind: content.kind,
    text: storableText(content.text),
    parts: content.parts.map((part) => (part.type === 'text' ? { type: 'text', text: storableText(part.text) } : part)),
    locale: owner.locale,
    raw: storableJson(record),
  }
  return { activity, user, account }
}

interface Content {
  kind: ActivityKind
  text: string
  parts: Part[]
}

const said = (text: string): Content => ({ kind: 'message', text, parts: text ? [{ type: 'text', text }] : [] })

function messageContent(record: XmlRecord, msgType: string, instance: string): Content | undefined {
  const mediaId = field(record, 'MediaId')
  const media = (type: 'image' | 'audio' | 'video', mime: string | undefined): Part | undefined =>
    mediaId ? { type, url: mediaUrl(instance, mediaId), ...(mime ? { mime } : {}) } : undefined
  switch (msgType) {
    case 'text':
      return said(field(record, 'Content') ?? '')
    case 'image': {
      const part = media('image', 'image/jpeg')
      return part ? { kind: 'message', text: '', parts: [part] } : undefined
    }
    case 'voice': {
      // With speech recognition on (an OA setting), WeChat adds what was said: that is the message.
      const recognition = field(record, 'Recognition') ?? ''
      const part = media('audio', AUDIO[(field(record, 'Format') ?? '').toLowerCase()])
      if (!part) return recognition ? said(recognition) : undefined
      return { kind: 'message', text: recognition, parts: recognition ? [part, { type: 'text', text: recognition }] : [part] }
    }
    case 'video':
    case 'shortvideo': {
      const part = media('video', 'video/mp4')
      return part ? { kind: 'message', text: '', parts: [part] } : undefined
    }
    case 'location': {
      const x = field(record, 'Location_X')
      const y = field(record, 'Location_Y')
      if (!x || !y) return undefined
      return said([field(record, 'Label'), `geo:${x},${y}`].filter(Boolean).join('\n'))
    }
    case 'link':
      return said([field(record, 'Title'), field(record, 'Description'), field(record, 'Url')].filter(Boolean).join('\n'))
    default:
      return undefined
  }
}

/** Voice formats WeChat names, as MIME types. */
const AUDIO: Record<string, string> = { amr: 'audio/amr', speex: 'audio/speex', mp3: 'audio/mpeg' }

/**
 * Events a conversation hears of; the text is the event's name as WeChat spelled it, its EventKey
 * stays in `raw`. The OA writes `subscribe` and `SCAN`, WeCom `click` and `view`: names compare
 * case-blind.
 */
const EVENTS = new Set(['SUBSCRIBE', 'UNSUBSCRIBE', 'SCAN', 'VIEW'])

function eventContent(record: XmlRecord): Content | undefined {
  const event = field(record, 'Event') ?? ''
  // A menu button: its key is what the user chose, like a button press anywhere else.
  if (event.toUpperCase() === 'CLICK') {
    const key = field(record, 'EventKey') ?? ''
    return key ? { kind: 'postback', text: key, parts: [{ type: 'text', text: key }] } : undefined
  }
  return EVENTS.has(event.toUpperCase()) ? { kind: 'event', text: event, parts: [] } : undefined
}
