import { createHmac, randomBytes } from 'node:crypto'
import { XMLParser } from 'fast-xml-parser'
import type { VoiceIdentity } from './messages.js'
import { messageText, replyPattern, type Answer, type Conversation, type Post, type Reading, type Target } from './payloads.js'

/**
 * Callers, as Twilio plays them: a call starts with the incoming-call webhook; every turn after it
 * posts what the caller said (SpeechResult, Confidence 0.9) to the action URL of the previous
 * answer's `<Gather>`; a filler's `<Redirect>` is followed. Every post is form-encoded and signed
 * (X-Twilio-Signature: HMAC-SHA1 of the URL, then each parameter's name and value in name order,
 * keyed with the auth token), the URL being the absolute one Twilio requested. A call lives as
 * long as its subject keeps gathering; each subject (port) gets calls of its own.
 */
export function voiceCalls(count: number, account: VoiceIdentity): Conversation[] {
  return Array.from({ length: count }, (_, i) => {
    const caller = `+1555${String(10_000_000 + i).slice(1)}`
    const calls = new Map<number, Call>()
    let seq = 0
    const post = (call: Call, url: string, params: Record<string, string>): Post => {
      const form = { AccountSid: account.accountSid, ApiVersion: '2010-04-01', CallSid: call.sid, Called: account.number, Caller: caller, Direction: 'inbound', From: caller, To: account.number, ...params }
      const { pathname, search } = new URL(url)
      return {
        path: `${pathname}${search}`,
        body: new URLSearchParams(form).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(account.authToken, url, form) },
      }
    }
    const turn = (call: Call) => post(call, call.action!, { CallStatus: 'in-progress', SpeechResult: messageText(seq), Confidence: '0.9' })
    return {
      key: caller,
      post(next: number, target: Target): Post {
        seq = next
        const call = calls.get(target.port)
        if (call?.action) return turn(call)
        const fresh: Call = { sid: `CA${randomBytes(16).toString('hex')}` }
        calls.set(target.port, fresh)
        return post(fresh, `http://127.0.0.1:${target.port}${target.path}`, { CallStatus: 'ringing' })
      },
      read(answer: Answer, target: Target, sent: Post): Reading {
        const call = calls.get(target.port)
        if (!call) return { problem: 'an answer for a call that is over' }
        const twiml = readTwiml(answer)
        if ('problem' in twiml) return twiml
        const origin = `http://127.0.0.1:${target.port}`
        const absolute = (url: string) => new URL(url, `${origin}${sent.path}`).toString()
        if ([...twiml.actions, ...twiml.redirects].some((url) => !absolute(url).startsWith(`${origin}/`))) return { problem: 'TwiML sends the call to another server' }
        const greeting = call.action === undefined
        const echo = twiml.says.find((text) => replyPattern.test(text))
        // A Gather waits for the caller, so a Redirect after it only runs on silence: the Gather leads.
        if (twiml.actions[0] !== undefined) {
          call.action = absolute(twiml.actions[0])
          if (echo !== undefined) return { reply: echo }
          // The greeting: the caller now says this turn's words to its Gather.
          if (greeting) return { next: turn(call), redirect: false }
          return twiml.says.length > 0 ? { reply: twiml.says.join(' ') } : { problem: 'a Gather without anything said before it' }
        }
        if (echo !== undefined) {
          calls.delete(target.port)
          return { reply: echo }
        }
        if (twiml.redirects[0] !== undefined) return { next: post(call, absolute(twiml.redirects[0]), { CallStatus: 'in-progress' }), redirect: true }
        calls.delete(target.port)
        return twiml.says.length > 0 ? { reply: twiml.says.join(' ') } : { problem: 'TwiML that neither speaks, gathers nor redirects' }
      },
    }
  })
}

interface Call {
  sid: string
  /** Where the caller's next words go: the last `<Gather>`'s action, absolute. */
  action?: string
}

/** Twilio's signature of a form post (twilio-node's getExpectedTwilioSignature, for single-valued parameters). */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((signed, name) => signed + name + params[name], url)
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64')
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  isArray: (name) => name === 'Say' || name === 'Gather' || name === 'Redirect',
})

type Element = string | ({ '#text'?: string } & Record<string, unknown>)
const textOf = (element: Element) => (typeof element === 'string' ? element : (element['#text'] ?? '')).trim()

/** What a phone does with the answer: the words it speaks, where its Gathers and Redirects lead. */
function readTwiml(answer: Answer): { says: string[]; actions: string[]; redirects: string[] } | { problem: string } {
  if (!/\bxml\b/.test(answer.contentType)) return { problem: `TwiML served as ${answer.contentType || 'no content type'}` }
  const response = (parser.parse(answer.body) as { Response?: Record<string, Element[]> | '' }).Response
  if (response === undefined) return { problem: 'an answer that is not a TwiML <Response>' }
  const top = response === '' ? {} : response
  const gathers = (top.Gather ?? []).map((gather) => (typeof gather === 'string' ? {} : gather))
  return {
    says: [...(top.Say ?? []), ...gathers.flatMap((gather) => (gather.Say ?? []) as Element[])].map(textOf),
    // Without an action a Gather posts to the document it came in.
    actions: gathers.map((gather) => (typeof gather.action === 'string' ? gather.action : '')),
    redirects: (top.Redirect ?? []).map(textOf),
  }
}
