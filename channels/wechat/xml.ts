import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { SealedReply } from './crypto.js'

/** A callback's fields: element name → its text, or the fields of a nested element (a few events have some). */
export type XmlRecord = { [name: string]: string | XmlRecord | (string | XmlRecord)[] }

/** The body is not a WeChat callback we can read; the answer is 400 and says why. */
export class XmlRefused extends Error {
  override name = 'XmlRefused'
}

/** WeChat's deepest callback (pic_sysphoto: xml › SendPicsInfo › PicList › item › PicMd5Sum) is 5 levels. */
const MAX_DEPTH = 10

/**
 * Entities are never expanded (no XXE, no billion laughs: a DOCTYPE is refused before parsing
 * anyway) and every value stays a string: a 64-bit MsgId parsed as a number would lose digits,
 * and two messages would share an id.
 */
const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  maxNestedTags: MAX_DEPTH,
})

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The body as text; bytes that are not UTF-8 are refused rather than replaced. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new XmlRefused('the body is not valid UTF-8')
  }
}

/**
 * Pure: the fields of a callback's `<xml>` root. Refuses (XmlRefused) a DOCTYPE or entity
 * declaration, XML that is not well-formed, nesting deeper than any WeChat message, and any root
 * but `<xml>`.
 */
export function parseCallbackXml(text: string): XmlRecord {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlRefused('a DOCTYPE or entity declaration is not accepted')
  if (text.trim() === '') throw new XmlRefused('the body is empty')
  const valid = XMLValidator.validate(text)
  if (valid !== true) throw new XmlRefused(`the body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`)
  let parsed: Record<string, unknown>
  try {
    parsed = parser.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new XmlRefused(`the body cannot be read: ${(error as Error).message}`)
  }
  const keys = Object.keys(parsed)
  const root = parsed.xml
  if (keys.length !== 1 || root === undefined || Array.isArray(root)) throw new XmlRefused('the root element must be a single <xml>')
  // `<xml></xml>` parses as an empty string.
  return typeof root === 'object' && root !== null ? (root as XmlRecord) : {}
}

/** A top-level field's text; undefined when absent, repeated or nested. */
export const field = (record: XmlRecord, name: string): string | undefined => {
  const value = record[name]
  return typeof value === 'string' ? value : undefined
}

/** Characters XML 1.0 cannot carry at all, even in CDATA (C0 controls but tab and newlines, U+FFFE/U+FFFF). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** Text inside CDATA, whatever it holds: a `]]>` is split across two sections, as XML requires. */
export const cdata = (text: string): string => `<![CDATA[${text.toWellFormed().replace(NOT_XML, '\uFFFD').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`

export interface TextReply {
  /** The user (the callback's FromUserName). */
  to: string
  /** The account (the callback's ToUserName). */
  from: string
  /** Seconds. */
  createTime: number
  content: string
}

/** Pure: a passive text reply, To and From swapped against the callback it answers. */
export const textReplyXml = (reply: TextReply): string =>
  `<xml><ToUserName>${cdata(reply.to)}</ToUserName><FromUserName>${cdata(reply.from)}</FromUserName><CreateTime>${reply.createTime}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata(reply.content)}</Content></xml>`

/** Pure: the encrypted envelope a passive reply travels in (safe mode, WeCom). */
export const sealedReplyXml = (sealed: SealedReply): string =>
  `<xml><Encrypt>${cdata(sealed.encrypt)}</Encrypt><MsgSignature>${cdata(sealed.signature)}</MsgSignature><TimeStamp>${sealed.timestamp}</TimeStamp><Nonce>${cdata(sealed.nonce)}</Nonce></xml>`
