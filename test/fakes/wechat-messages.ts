import { randomBytes } from 'node:crypto'
import { callbackXml, type XmlFields, type XmlValue } from './wechat-xml.js'

/** A callback as WeChat builds it: the plaintext XML and the fields it was made of. */
export interface WeChatMessage {
  msgType: string
  /** The user's openid (OA) or userid (WeCom). */
  from: string
  /** The OA's original id (`gh_…`) or the WeCom corpid. */
  to: string
  /** Seconds. */
  createTime: number
  /** A 64-bit decimal string; events have none. */
  msgId?: string
  /** For MsgType `event`: subscribe, unsubscribe, CLICK, VIEW, SCAN… */
  event?: string
  fields: XmlFields
  /** The plaintext XML, exactly the bytes that are sent or encrypted. */
  xml: string
}

export interface BuildOptions {
  /** Seconds; default now. Two events from one user with one CreateTime make the documented dedup collision. */
  createTime?: number
  /** Default a fresh 64-bit id. */
  msgId?: string
}

export type MediaKind = 'image' | 'voice' | 'video' | 'thumb'

export type EventName = 'subscribe' | 'unsubscribe' | 'CLICK' | 'VIEW' | 'SCAN' | 'LOCATION' | (string & {})

/** Callback builders bound to one app; `from` is an id from `app.user(name)`. */
export interface MessageBuilders {
  /** Any text: CJK, emoji, `&<>` and `]]>` included. */
  text(from: string, content: string, options?: BuildOptions): WeChatMessage
  image(from: string, options?: BuildOptions & { picUrl?: string; mediaId?: string }): WeChatMessage
  /** With `recognition`, the speech-to-text WeChat adds when the account turned it on. */
  voice(from: string, options?: BuildOptions & { mediaId?: string; format?: string; recognition?: string }): WeChatMessage
  /** `short: true` makes a `shortvideo`. */
  video(from: string, options?: BuildOptions & { mediaId?: string; thumbMediaId?: string; short?: boolean }): WeChatMessage
  location(from: string, place: { x: number; y: number; scale?: number; label?: string }, options?: BuildOptions): WeChatMessage
  link(from: string, link: { title: string; description?: string; url: string }, options?: BuildOptions): WeChatMessage
  /** An event; `key` is the EventKey (menu key, VIEW url, `qrscene_…` for a QR subscribe). Events carry no MsgId. */
  event(from: string, event: EventName, options?: Omit<BuildOptions, 'msgId'> & { key?: string; ticket?: string }): WeChatMessage
  /** A MsgType WeChat may add one day, with whatever fields it brings. */
  unknown(from: string, msgType: string, fields?: Record<string, XmlValue>, options?: BuildOptions): WeChatMessage
}

export interface BuilderContext {
  /** ToUserName. */
  to: string
  /** WeCom callbacks name the app. */
  agentId?: number
  nextMsgId(): string
  addMedia(data: Buffer, kind: MediaKind): string
}

/** Placeholder media a user "sent": enough bytes to recognise the format, not a real picture or recording. */
const SAMPLE_MEDIA: Record<MediaKind, Buffer> = {
  image: Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex'),
  voice: Buffer.from('#!AMR\n', 'latin1'),
  video: Buffer.from('000000186674797069736f6d0000020069736f6d', 'hex'),
  thumb: Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex'),
}

const seconds = () => Math.floor(Date.now() / 1000)

export function createMessageBuilders(context: BuilderContext): MessageBuilders {
  const media = (given: string | undefined, kind: MediaKind) => given ?? context.addMedia(SAMPLE_MEDIA[kind], kind)

  function build(from: string, msgType: string, body: XmlFields, options: BuildOptions & { event?: string } = {}, withMsgId = true): WeChatMessage {
    const createTime = options.createTime ?? seconds()
    const msgId = withMsgId ? (options.msgId ?? context.nextMsgId()) : undefined
    const fields: XmlFields = [
      ['ToUserName', context.to],
      ['FromUserName', from],
      ['CreateTime', createTime],
      ['MsgType', msgType],
      ...body,
      ...(msgId !== undefined ? [['MsgId', BigInt(msgId)] as const] : []),
      ...(context.agentId !== undefined ? [['AgentID', context.agentId] as const] : []),
    ]
    return { msgType, from, to: context.to, createTime, ...(msgId !== undefined ? { msgId } : {}), ...(options.event ? { event: options.event } : {}), fields, xml: callbackXml(fields) }
  }

  return {
    text: (from, content, options) => build(from, 'text', [['Content', content]], options),
    image: (from, options = {}) =>
      build(from, 'image', [
        ['PicUrl', options.picUrl ?? `https://mmbiz.qpic.cn/mmbiz_jpg/${randomBytes(18).toString('base64url')}/0`],
        ['MediaId', media(options.mediaId, 'image')],
      ], options),
    voice: (from, options = {}) =>
      build(from, 'voice', [
        ['MediaId', media(options.mediaId, 'voice')],
        ['Format', options.format ?? 'amr'],
        ...(options.recognition !== undefined ? [['Recognition', options.recognition] as const] : []),
      ], options),
    video: (from, options = {}) =>
      build(from, options.short ? 'shortvideo' : 'video', [
        ['MediaId', media(options.mediaId, 'video')],
        ['ThumbMediaId', media(options.thumbMediaId, 'thumb')],
      ], options),
    location: (from, place, options) =>
      build(from, 'location', [
        ['Location_X', place.x],
        ['Location_Y', place.y],
        ['Scale', place.scale ?? 15],
        ['Label', place.label ?? ''],
      ], options),
    link: (from, link, options) =>
      build(from, 'link', [
        ['Title', link.title],
        ['Description', link.description ?? ''],
        ['Url', link.url],
      ], options),
    event: (from, event, options = {}) =>
      build(from, 'event', [
        ['Event', event],
        ...(options.key !== undefined ? [['EventKey', options.key] as const] : []),
        ...(options.ticket !== undefined ? [['Ticket', options.ticket] as const] : []),
      ], { ...options, event }, false),
    unknown: (from, msgType, fields = {}, options) => build(from, msgType, Object.entries(fields), options),
  }
}

/**
 * Ids like WeChat's MsgIds: 64-bit, above 2^53 (so a JSON number or a float parse loses digits),
 * increasing, unique across every app of one fake.
 */
export function msgIdSequence(): () => string {
  let next = (1n << 54n) + BigInt(`0x${randomBytes(6).toString('hex')}`)
  return () => String((next += 1n + BigInt(randomBytes(1)[0]!)))
}
