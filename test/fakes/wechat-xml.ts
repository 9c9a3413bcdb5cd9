import { XMLParser, XMLValidator } from 'fast-xml-parser'

/** A callback field: strings go in CDATA, numbers (CreateTime, MsgId as a bigint, Location_X…) bare, as WeChat writes them. */
export type XmlValue = string | number | bigint
export type XmlFields = ReadonlyArray<readonly [name: string, value: XmlValue]>

/** CDATA that survives any text: a `]]>` inside is split across two sections, as XML requires. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`
}

/** `<xml>` with the fields in order, no whitespace between them. */
export function callbackXml(fields: XmlFields): string {
  return `<xml>${fields.map(([name, value]) => `<${name}>${typeof value === 'string' ? cdata(value) : String(value)}</${name}>`).join('')}</xml>`
}

export type XmlRecord = { [name: string]: string | XmlRecord }

const parser = new XMLParser({ parseTagValue: false, processEntities: true, trimValues: true, ignoreDeclaration: true, ignoreAttributes: true })

/**
 * The `<xml>` root of a reply, or the reason it is not one. A DOCTYPE is refused outright: no
 * WeChat message has one, and the fake must not expand entities a gateway sends it either.
 */
export function parseXmlRoot(text: string): { root: XmlRecord } | { problem: string } {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return { problem: 'the XML carries a DOCTYPE' }
  const valid = XMLValidator.validate(text)
  if (valid !== true) return { problem: `not well-formed XML: ${valid.err.msg}` }
  const parsed = parser.parse(text) as Record<string, unknown>
  const root = parsed.xml
  if (typeof root !== 'object' || root === null || Object.keys(parsed).length !== 1) return { problem: 'the root element is not <xml>' }
  return { root: root as XmlRecord }
}

/** A field's text, or undefined when it is missing or has children. */
export const textOf = (record: XmlRecord | undefined, name: string): string | undefined => {
  const value = record?.[name]
  return typeof value === 'string' ? value : undefined
}

/** A plaintext field read straight from callback XML, for messages only known as raw bytes. */
export function peekField(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`).exec(xml)
  return match ? (match[1] ?? match[2]) : undefined
}
