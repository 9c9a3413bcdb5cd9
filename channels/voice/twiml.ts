import twilio from 'twilio'
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js'
import { splitText } from '../../core/index.js'
import type { Handoff } from './manifest.js'

/** How the call sounds and listens. */
export interface CallVoice {
  /** `<Say language>`. */
  language: string
  /** `<Gather language>`. */
  listenLanguage: string
  voice?: string
  /** Gather hints, comma-separated. */
  hints?: string
}

/** A `<Say>` takes at most 4096 characters. */
const SAY_LIMIT = 4096

/**
 * Pure: the caller hears `lines`, then the call listens; what they say or press is posted to
 * `action`. Lines sit inside the `<Gather>` so the caller can interrupt them. The `<Redirect>` is
 * for a Twilio that does not post an empty result: it asks `action` again, without input.
 */
export function listen(voice: CallVoice, lines: readonly string[], action: string, options: { menu?: boolean } = {}): string {
  const response = new twilio.twiml.VoiceResponse()
  const gather = response.gather({
    input: options.menu ? ['dtmf', 'speech'] : ['speech', 'dtmf'],
    action,
    method: 'POST',
    language: voice.listenLanguage as VoiceResponse.GatherAttributes['language'],
    speechTimeout: 'auto',
    actionOnEmptyResult: true,
    ...(options.menu ? { numDigits: 1 } : {}),
    ...(voice.hints ? { hints: voice.hints } : {}),
  })
  say(gather, voice, lines)
  response.redirect({ method: 'POST' }, action)
  return response.toString()
}

/** Pure: a filler while the answer is still being written, then back for it. */
export function holdOn(voice: CallVoice, filler: string, pickup: string): string {
  const response = new twilio.twiml.VoiceResponse()
  say(response, voice, [filler])
  response.redirect({ method: 'POST' }, pickup)
  return response.toString()
}

/**
 * Pure: the caller hears `lines`, then goes to a human. A number or SIP address is dialled; a queue
 * is joined with `<Enqueue>` (`<Dial><Queue>` is how an agent takes a caller out of one). Either
 * way Twilio reports how it ended to `action`.
 */
export function transfer(voice: CallVoice, lines: readonly string[], handoff: Handoff, action: string): string {
  const response = new twilio.twiml.VoiceResponse()
  say(response, voice, lines)
  if (handoff.queue !== undefined) {
    response.enqueue({ action, method: 'POST' }, handoff.queue)
    return response.toString()
  }
  const dial = response.dial({ action, method: 'POST', timeout: handoff.timeoutSeconds, ...(handoff.callerId ? { callerId: handoff.callerId } : {}) })
  if (handoff.number !== undefined) dial.number(handoff.number)
  else dial.sip(handoff.sip!)
  return response.toString()
}

/** Pure: the last words, then the bot hangs up. */
export function farewell(voice: CallVoice, lines: readonly string[]): string {
  const response = new twilio.twiml.VoiceResponse()
  say(response, voice, lines)
  response.hangup()
  return response.toString()
}

/** Pure: nothing more to do (status callbacks, a finished transfer). */
export const nothing = (): string => new twilio.twiml.VoiceResponse().toString()

function say(into: { say(attributes: VoiceResponse.SayAttributes, message: string): unknown }, voice: CallVoice, lines: readonly string[]): void {
  const attributes: VoiceResponse.SayAttributes = { language: voice.language as VoiceResponse.SayAttributes['language'], ...(voice.voice ? { voice: voice.voice as VoiceResponse.SayAttributes['voice'] } : {}) }
  for (const line of lines) {
    const text = speakable(line)
    if (text) for (const chunk of splitText(text, SAY_LIMIT)) into.say(attributes, chunk)
  }
}

/** Characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/FFFF) would make the builder throw; a voice cannot say them anyway. */
const UNSPEAKABLE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

export const speakable = (text: string): string => text.toWellFormed().replace(UNSPEAKABLE, ' ').trim()
