import { z } from 'zod'
import { secret, type ChannelManifest } from '../../core/index.js'

/** Twilio's auth token: 32 hex digits. */
const authToken = secret().pipe(z.string().regex(/^[0-9a-fA-F]{32}$/, 'a Twilio auth token is 32 hexadecimal digits'))

/** Something the caller hears: one `<Say>`, within Twilio's 4096-character limit. */
const spoken = z.string().trim().min(1).max(4096)

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'a phone number in E.164 form, e.g. +14155550100')

/** Where a caller goes when the bot hands over: exactly one of a number, a queue or a SIP address. */
export const Handoff = z
  .object({
    number: e164.optional(),
    /** A TaskRouter or contact-centre queue the caller waits in (`<Enqueue>`). */
    queue: z.string().regex(/^[\w .-]{1,64}$/, 'a queue name is 1–64 letters, digits, spaces, dots, dashes or underscores').optional(),
    sip: z.string().regex(/^sips?:[^\s<>]+$/, 'a SIP URI, e.g. sip:support@pbx.example.com').optional(),
    /** The number the human side sees as the caller (`<Dial callerId>`); by default the caller's own. */
    callerId: e164.optional(),
    /** How long `<Dial>` rings before giving up (5–600 s, Twilio's range). */
    timeoutSeconds: z.number().int().min(5).max(600).default(30),
  })
  .strict()
  .refine((h) => [h.number, h.queue, h.sip].filter((t) => t !== undefined).length === 1, { message: 'set exactly one of number, queue or sip' })
export type Handoff = z.infer<typeof Handoff>

export const VoiceConfig = z
  .object({
    /** The account the phone number belongs to (AC + 32 hex); requests for another account are refused. */
    accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'an account SID is AC followed by 32 hexadecimal digits'),
    /** Signs every webhook (X-Twilio-Signature); write `${env:…}` or `${file:…}`, never the token itself. */
    authToken,
    /** Tokens still accepted while requests signed before a rotation arrive. */
    previousAuthTokens: z.array(authToken).max(3).default([]),
    /**
     * The gateway's base URL as configured at Twilio (https://voice.acme.example, or with the path
     * prefix a proxy strips). Signatures cover the URL Twilio requested, so they are checked against
     * this plus the request's path and query, never the Host header.
     */
    publicUrl: z.url({ protocol: /^https?$/ }),
    /** BCP-47 language of speech recognition and `<Say>`; by default from the tenant's locale (en → en-US). */
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP-47 language tag, e.g. en-US')
      .optional(),
    /** The recogniser's language when Twilio names it differently (Mandarin: cmn-Hans-CN); by default `language`. */
    speechLanguage: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP-47 language tag, e.g. cmn-Hans-CN')
      .optional(),
    /** The text-to-speech voice (`Polly.Joanna`, `Google.en-US-Neural2-F`, `alice`); Twilio's default when omitted. */
    voice: z
      .string()
      .regex(/^[\w.-]{1,64}$/)
      .optional(),
    greeting: spoken.optional(),
    /** Said when the recogniser was unsure what the caller said. */
    reprompt: spoken.optional(),
    /** Said while the bot is still thinking, before the call comes back for the answer. */
    filler: spoken.optional(),
    /** Said when the caller said nothing. */
    noInputPrompt: spoken.optional(),
    /** Said before a transfer when the bot's answer did not come after every filler. */
    delayed: spoken.optional(),
    /** Said before the call is transferred because the bot could not understand the caller. */
    transferring: spoken.optional(),
    /** Said when the transfer was not answered (busy, no answer, queue full). */
    transferFailed: spoken.optional(),
    /** Said when a transfer was asked for but no `handoff` target is configured. */
    noTransfer: spoken.optional(),
    /** Said when what the caller said could not be taken (the store unavailable), or its answer never came and there is no `handoff`. */
    apology: spoken.optional(),
    /** Said before hanging up when a request could not be answered at all (a bug, not a busy store). */
    failure: spoken.optional(),
    /** Said before the bot hangs up on a silent line, and after a transfer the caller was connected by. */
    goodbye: spoken.optional(),
    /** How a DTMF menu reads one option: `{title}` and `{key}` are replaced. */
    menuOption: spoken.optional(),
    /** Recognition below this confidence (0–1) is asked again instead of answered. */
    lowConfidence: z.number().min(0).max(1).default(0.4),
    /** Unclear utterances in a row before the caller is offered a human. */
    maxLowConfidence: z.number().int().min(1).max(10).default(2),
    /** Silent answers in a row before the bot says goodbye and hangs up. */
    maxNoInput: z.number().int().min(1).max(10).default(3),
    /**
     * How long a webhook waits for the bot's answer before saying the filler and redirecting to pick
     * it up; well under Twilio's 15-second webhook timeout.
     */
    answerWithinMs: z.number().int().min(200).max(12_000).default(8000),
    /** Fillers (each followed by another wait) before the caller is transferred (`delayed`) or asked again (`apology`). */
    maxRedirects: z.number().int().min(0).max(10).default(3),
    handoff: Handoff.optional(),
    /** Words and phrases that help speech recognition (Gather `hints`; Twilio takes up to 500 of 100 characters). */
    hints: z.array(z.string().trim().min(1).max(100)).max(500).default([]),
    /** Larger webhook bodies get 413; Twilio's forms are a few kilobytes. */
    maxBodyBytes: z.number().int().min(1024).max(1_048_576).default(65_536),
  })
  .strict()
export type VoiceConfig = z.infer<typeof VoiceConfig>

export const manifest = {
  kind: 'channel',
  id: 'voice',
  label: 'Phone (Twilio-compatible voice webhook)',
  version: '1.0.0',
  config: VoiceConfig,
  endpoint: () => '/incoming',
  // A `<Say>` takes at most 4096 characters; the transcript is the outbox (answers are fetched by seq).
  capabilities: { parts: ['text', 'choice'], maxTextLength: 4096, resumable: true },
} satisfies ChannelManifest<typeof VoiceConfig>
