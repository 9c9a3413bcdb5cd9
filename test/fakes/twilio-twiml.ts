import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { CallerInput, DialKind, HttpMethod } from './twilio.js'

/** Verbs a phone can hear or do inside a `<Gather>`. */
export type Prompt =
  | { verb: 'Say'; text: string; voice?: string; language?: string; loop: number }
  | { verb: 'Play'; url: string; loop: number }
  | { verb: 'Pause'; seconds: number }

export interface DialNoun {
  kind: DialKind
  target: string
  attributes: Record<string, string>
}

/** A TwiML verb as the interpreter runs it; URLs are still as written (relative or absolute). */
export type Verb =
  | Prompt
  | { verb: 'Gather'; attributes: Record<string, string>; prompts: Prompt[] }
  | { verb: 'Redirect'; url: string; method: HttpMethod }
  | { verb: 'Dial'; attributes: Record<string, string>; nouns: DialNoun[] }
  | { verb: 'Enqueue'; queue: string; attributes: Record<string, string> }
  | { verb: 'Hangup' }
  | { verb: 'Reject'; reason: 'rejected' | 'busy' }

/** Why an answer is not TwiML the call can follow, with Twilio's error code. */
export interface TwimlError {
  code: number
  message: string
}

/** Content types Twilio runs as TwiML. */
const TWIML_TYPES = new Set(['text/xml', 'application/xml', 'text/html'])
/** Twilio refuses larger answers (error 11750). */
const MAX_TWIML_BYTES = 64 * 1024

/**
 * Entity processing is off so nothing the document declares is ever expanded (and a DOCTYPE is
 * refused outright); the five predefined entities and character references are decoded afterwards
 * in one pass, which is all TwiML builders emit.
 */
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
})

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
const decodeEntities = (text: string) =>
  text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (whole, name: string) => {
    if (name[0] !== '#') return PREDEFINED[name.toLowerCase()] ?? whole
    const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10)
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole
  })

/** An answer as the fake reads it: the verbs to run, or the application error Twilio would raise. */
export function readTwiml(contentType: string | undefined, body: string): { verbs: Verb[] } | { error: TwimlError } {
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  if (!type || !TWIML_TYPES.has(type)) return { error: { code: 12300, message: `Invalid Content-Type: ${contentType ?? 'none'}` } }
  if (Buffer.byteLength(body) > MAX_TWIML_BYTES) return { error: { code: 11750, message: 'TwiML response body too large' } }
  if (/<!DOCTYPE/i.test(body)) return { error: { code: 12100, message: 'Document parse failure: DOCTYPE is not allowed' } }
  const valid = XMLValidator.validate(body)
  if (valid !== true) return { error: { code: 12100, message: `Document parse failure: ${valid.err.msg}` } }
  const top = (parser.parse(body) as XmlNode[]).filter((node) => !('#text' in node) && !('#comment' in node))
  const root = top[0]
  if (top.length !== 1 || !root || nameOf(root) !== 'Response') return { error: { code: 12102, message: 'The root element must be Response' } }
  try {
    return { verbs: childrenOf(root).map(toVerb) }
  } catch (error) {
    if (error instanceof TwimlSchemaError) return { error: { code: 12100, message: `Document parse failure: ${error.message}` } }
    throw error
  }
}

/** fast-xml-parser's ordered form: `{ Tag: children, ':@': attributes }` or `{ '#text': text }`. */
type XmlNode = Record<string, unknown>

class TwimlSchemaError extends Error {}

const nameOf = (node: XmlNode) => Object.keys(node).find((key) => key !== ':@')!
const childrenOf = (node: XmlNode) => (node[nameOf(node)] as XmlNode[]).filter((child) => !('#comment' in child))
const elementsOf = (node: XmlNode) => childrenOf(node).filter((child) => !('#text' in child))
const attributesOf = (node: XmlNode): Record<string, string> =>
  Object.fromEntries(Object.entries((node[':@'] as Record<string, string> | undefined) ?? {}).map(([key, value]) => [key, decodeEntities(value)]))
const textOf = (node: XmlNode) =>
  decodeEntities(
    childrenOf(node)
      .filter((child) => '#text' in child)
      .map((child) => String(child['#text']))
      .join(' '),
  ).trim()

function methodOf(attributes: Record<string, string>): HttpMethod {
  const method = (attributes.method ?? 'POST').toUpperCase()
  if (method !== 'GET' && method !== 'POST') throw new TwimlSchemaError(`method must be GET or POST, got ${attributes.method}`)
  return method
}

const loopOf = (attributes: Record<string, string>) => (attributes.loop === undefined ? 1 : Number(attributes.loop))

function toPrompt(node: XmlNode, name: string): Prompt {
  const attributes = attributesOf(node)
  if (name === 'Say') return { verb: 'Say', text: textOf(node), voice: attributes.voice, language: attributes.language, loop: loopOf(attributes) }
  if (name === 'Play') return { verb: 'Play', url: textOf(node), loop: loopOf(attributes) }
  return { verb: 'Pause', seconds: attributes.length === undefined ? 1 : Number(attributes.length) }
}

const DIAL_NOUNS: Record<string, DialKind> = { Number: 'number', Queue: 'queue', Sip: 'sip', Client: 'client', Conference: 'conference' }

function toVerb(node: XmlNode): Verb {
  if ('#text' in node) throw new TwimlSchemaError(`text outside a verb: ${String(node['#text']).slice(0, 40)}`)
  const name = nameOf(node)
  const attributes = attributesOf(node)
  switch (name) {
    case 'Say':
    case 'Play':
    case 'Pause':
      return toPrompt(node, name)
    case 'Gather':
      methodOf(attributes)
      return {
        verb: 'Gather',
        attributes,
        prompts: elementsOf(node).map((child) => {
          const inner = nameOf(child)
          if (inner !== 'Say' && inner !== 'Play' && inner !== 'Pause') throw new TwimlSchemaError(`<${inner}> cannot be nested in <Gather>`)
          return toPrompt(child, inner)
        }),
      }
    case 'Redirect': {
      const url = textOf(node)
      if (!url) throw new TwimlSchemaError('<Redirect> needs a URL')
      return { verb: 'Redirect', url, method: methodOf(attributes) }
    }
    case 'Dial': {
      methodOf(attributes)
      const nouns = elementsOf(node).map((child): DialNoun => {
        const kind = DIAL_NOUNS[nameOf(child)]
        if (!kind) throw new TwimlSchemaError(`<${nameOf(child)}> cannot be nested in <Dial>`)
        return { kind, target: textOf(child), attributes: attributesOf(child) }
      })
      const number = textOf(node)
      if (number) nouns.unshift({ kind: 'number', target: number, attributes: {} })
      if (nouns.length === 0) throw new TwimlSchemaError('<Dial> needs a number or a noun')
      return { verb: 'Dial', attributes, nouns }
    }
    case 'Enqueue': {
      methodOf(attributes)
      const queue = textOf(node) || attributes.workflowSid || ''
      if (!queue) throw new TwimlSchemaError('<Enqueue> needs a queue name')
      return { verb: 'Enqueue', queue, attributes }
    }
    case 'Hangup':
      return { verb: 'Hangup' }
    case 'Reject':
      return { verb: 'Reject', reason: attributes.reason === 'busy' ? 'busy' : 'rejected' }
    default:
      throw new TwimlSchemaError(`<${name}> is not a verb this fake runs`)
  }
}

/**
 * The parameters a `<Gather>` posts for what the caller did, or undefined when it heard nothing it
 * listens for: speech into a DTMF-only Gather, keys into a speech-only one, only the finish key.
 */
export function gatherResult(given: CallerInput, attributes: Record<string, string>): Record<string, string> | undefined {
  const input = (attributes.input ?? 'dtmf').split(/\s+/)
  if ('speech' in given) {
    if (!input.includes('speech') || !given.speech.trim()) return undefined
    return { SpeechResult: given.speech, Confidence: String(given.confidence ?? DEFAULT_CONFIDENCE) }
  }
  if (!('digits' in given) || !input.includes('dtmf')) return undefined
  const finishOnKey = attributes.finishOnKey ?? '#'
  const numDigits = attributes.numDigits === undefined ? Number.POSITIVE_INFINITY : Number(attributes.numDigits)
  let digits = ''
  let finishedOnKey = ''
  for (const key of given.digits) {
    if (finishOnKey && key === finishOnKey) {
      finishedOnKey = key
      break
    }
    digits += key
    if (digits.length >= numDigits) break
  }
  return digits ? { Digits: digits, FinishedOnKey: finishedOnKey } : undefined
}

/** A clear utterance, as Twilio's recogniser scores one. */
export const DEFAULT_CONFIDENCE = 0.92
