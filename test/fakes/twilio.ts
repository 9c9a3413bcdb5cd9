import { randomBytes } from 'node:crypto'
import { Agent } from 'node:http'
import { PhoneCall } from './twilio-call.js'
import { DEFAULT_CONNECTION, type ConnectionSettings } from './twilio-connection.js'
import { twilioSignature } from './twilio-signature.js'

export { APPLICATION_ERROR_MESSAGE } from './twilio-call.js'
export { twilioSignature } from './twilio-signature.js'
export type { ConnectionSettings, RetryClass } from './twilio-connection.js'

/**
 * A fake Twilio Programmable Voice: it plays the phone network calling the gateway. Twilio has no
 * API the gateway must call during a call (each webhook is answered with TwiML), so the fake is a
 * caller plus a TwiML interpreter: it posts signed webhooks, follows the TwiML it gets like a phone
 * call would, and records what the caller heard, dialled and sent. channels.md §4.1, §4.3.
 */
export interface FakeTwilio {
  readonly authToken: string
  readonly accountSid: string
  /** Every call placed, in order. */
  readonly calls: readonly FakeCall[]
  /** The keep-alive agent every webhook goes through; destroyed by close(). */
  readonly agent: Agent
  /** Places an incoming call: its first webhook goes out on the next tick. */
  call(options: CallOptions): FakeCall
  /** X-Twilio-Signature for a request to `url` (fragment already stripped) with these form params. */
  sign(url: string, params?: Record<string, string>): string
  /** Drops every held answer (see FakeCall.holdNextAnswer); returns how many there were. */
  releaseHeld(): number
  /** Connections the gateway holds open to the fake: always 0, the gateway never calls Twilio. */
  openConnections(): number
  /** Ends every call without callbacks, aborts requests in flight, cancels timers, destroys the agent. */
  close(): Promise<void>
}

export interface FakeTwilioOptions {
  /** The account's auth token, the HMAC key of every signature; default 32 random hex digits. */
  authToken?: string
  /** AC + 32 hex digits; default random. */
  accountSid?: string
  defaults?: Partial<FakeTwilioDefaults>
}

/** Connection settings apply to URLs without `#…` overrides and are not clamped (tests use small ones). */
export interface FakeTwilioDefaults extends ConnectionSettings {
  /** The caller, E.164. */
  from: string
  /** The Twilio number called, E.164. */
  to: string
  /** How a `<Dial>` ends when the TwiML has an action to report it to. */
  dialStatus: DialStatus
  /** DialCallDuration reported for an answered dial. */
  dialDurationSeconds: number
  /** QueueResult reported to an `<Enqueue action>`. */
  queueResult: QueueResult
}

/** What the caller does when a `<Gather>` listens. */
export type CallerInput = { speech: string; confidence?: number } | { digits: string } | { silence: true }

export type DialStatus = 'completed' | 'no-answer' | 'busy' | 'failed' | 'canceled'
export type QueueResult = 'bridged' | 'bridging-in-process' | 'hangup' | 'redirected' | 'queue-full' | 'error' | 'system-error'
export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled'
export type HttpMethod = 'GET' | 'POST'

export interface CallOptions {
  /** Where the gateway really listens (http://127.0.0.1:…); a `#ct=…&rt=…` fragment sets connection overrides. */
  voiceUrl: string
  /**
   * The public URL Twilio believes it requests (behind a proxy): what is signed and what relative
   * URLs resolve against. Follow-up URLs on its origin are sent to voiceUrl's origin instead.
   * Default: voiceUrl without its fragment.
   */
  signatureUrl?: string
  /** The number's voice method; default POST. GET puts the params in the query string and signs only the URL. */
  method?: HttpMethod
  from?: string
  to?: string
  /** Receives `completed` (or busy / no-answer after `<Reject>`) when the call ends, and statusCallbacks(). */
  statusCallback?: string
  /** Fetched, with ErrorCode and ErrorUrl, when a TwiML request fails for good or its answer is not usable TwiML. */
  fallbackUrl?: string
  /** Inputs the caller gives to the `<Gather>`s they meet, in order; once used up, the call waits for say()/press()/silence(). */
  script?: CallerInput[]
  /** Added to (or, with null, removed from) the parameters of every request of this call. */
  params?: Record<string, string | null>
  /** How `<Dial>`s end on this call; default the fake's dialStatus. Can be changed later on the call. */
  dialStatus?: DialStatus
}

/** One thing the caller heard, in order. `error` is Twilio's own application-error message. */
export interface Heard {
  kind: 'say' | 'play' | 'error'
  /** What was said, or the URL played. */
  text: string
  voice?: string
  language?: string
  /** How many times it repeats (0: until the caller acts). */
  loop: number
  at: number
}

export type DialKind = 'number' | 'queue' | 'sip' | 'client' | 'conference'

/** One party a `<Dial>` rang, or the queue an `<Enqueue>` put the caller in. */
export interface DialTarget {
  verb: 'Dial' | 'Enqueue'
  kind: DialKind
  target: string
  /** The verb's attributes (action, callerId, timeout, …). */
  verbAttributes: Record<string, string>
  /** The noun's own attributes (e.g. Sip username, Number sendDigits). */
  nounAttributes: Record<string, string>
  at: number
}

/** A `<Gather>` the caller met, and what they gave it. */
export interface GatherRecord {
  input: Array<'speech' | 'dtmf'>
  /** The absolute action URL requested (fragment stripped). */
  action: string
  method: HttpMethod
  attributes: Record<string, string>
  given?: CallerInput
  at: number
}

/** Why a request was made. */
export type RequestPurpose = 'incoming' | 'gather' | 'redirect' | 'dial' | 'enqueue' | 'fallback' | 'status'

/**
 * What became of an attempt: `followed` (its TwiML was interpreted), `failed` (no usable answer),
 * `dropped` / `held` (fault injection), `abandoned` (the caller hung up or the fake closed),
 * `ignored` (status callbacks and redeliveries: their answer is not TwiML the call follows).
 */
export type AttemptFate = 'pending' | 'followed' | 'failed' | 'dropped' | 'held' | 'abandoned' | 'ignored'

/** One HTTP attempt the fake made, as sent and as answered. */
export interface WebhookAttempt {
  purpose: RequestPurpose
  /** The URL sent on the wire (fragment stripped; for GET, with the params in its query). */
  url: string
  /** The URL the signature covers. */
  signedUrl: string
  method: HttpMethod
  params: Record<string, string>
  /** The X-Twilio-Signature sent, null when left out. */
  signature: string | null
  idempotencyToken: string
  /** 1 for the first attempt of a request; retries and redeliveries of the same request count on. */
  attempt: number
  /** A redelivery by repeatLastRequest(): identical request, answer not followed. */
  redelivery: boolean
  at: number
  /** HTTP status; 0 when there was none (timeout, refused, reset, abandoned). */
  status: number
  contentType?: string
  responseBody: string
  /** `ct` (no connection), `rt` (no timely answer) or `aborted`, when there was no response. */
  failure?: 'ct' | 'rt' | 'aborted'
  detail?: string
  latencyMs: number
  fate: AttemptFate
}

/** An application error as Twilio would log it in its debugger. */
export interface ApplicationError {
  code: number
  message: string
  url: string
}

export type EndReason =
  | 'hangup'
  | 'end-of-document'
  | 'rejected'
  | 'caller-hangup'
  | 'application-error'
  | 'fake-closed'

/** What a phase of the call is: following TwiML, waiting in a `<Gather>`, stuck on a held answer, or over. */
export type CallPhase = 'following' | 'waiting' | 'stalled' | 'ended'

export interface FakeCall {
  /** CA + 32 hex digits. */
  readonly sid: string
  readonly from: string
  readonly to: string
  readonly phase: CallPhase
  readonly status: CallStatus
  readonly heard: readonly Heard[]
  readonly dialed: readonly DialTarget[]
  readonly gathers: readonly GatherRecord[]
  /** Every attempt of every request of this call, status callbacks and redeliveries included. */
  readonly requests: readonly WebhookAttempt[]
  readonly ended: boolean
  readonly endReason?: EndReason
  readonly applicationError?: ApplicationError
  /** dropNextAnswer() outcomes. */
  readonly drops: ReadonlyArray<{ droppedAt: number; retriedAt?: number }>
  /** holdNextAnswer() outcomes. */
  readonly holds: ReadonlyArray<{ heldAt: number; releasedAt?: number; retriedAt?: number }>
  /** How the next `<Dial>`s end. */
  dialStatus: DialStatus

  /** Resolves, with what was heard since the last input, once the call waits in a Gather, stalls on a held answer, or ends. */
  waitingForInput(): Promise<Heard[]>
  /** Resolves once the call has ended (and its status callback was answered). */
  finished(): Promise<void>
  /**
   * Speaks into the Gather the call waits in (waiting for it first), follows the TwiML until the
   * call waits again, stalls or ends, and returns what was heard in that stretch.
   */
  say(text: string, confidence?: number): Promise<Heard[]>
  press(digits: string): Promise<Heard[]>
  silence(): Promise<Heard[]>
  /** The caller hangs up: a request in flight is abandoned; the status callback gets `completed` (`canceled` before any TwiML ran). */
  hangup(): Promise<void>

  /**
   * Sends the last TwiML request again, identical (URL, params, signature, token), and returns the
   * answer without following it. Asked for together with an input (say() then this, unawaited), it
   * repeats the request that input causes, while the original is still in flight.
   */
  repeatLastRequest(): Promise<WebhookAttempt>
  /** The next TwiML answer arrives but counts as lost (a read timeout); the same request is retried after retryAfterMs. */
  dropNextAnswer(options: { retryAfterMs: number }): void
  /** The next TwiML answer is kept unheard: the call stalls until releaseHeld() drops it and retryDropped() asks again. */
  holdNextAnswer(): void
  /** Resolves once an answer is held. */
  waitHeld(): Promise<void>
  /** Re-sends the request whose answer was held (dropping it if still held), follows the new answer, returns what was heard. */
  retryDropped(): Promise<Heard[]>
  /** The next request goes without X-Twilio-Signature (`missing`) or signed with another token (`forged`). */
  tamperNextSignature(mode: 'missing' | 'forged'): void
  /**
   * Posts status callbacks for these statuses to the call's statusCallback, in order, or reversed
   * with outOfOrder; duplicate sends each one twice (same SequenceNumber and token).
   */
  statusCallbacks(statuses: CallStatus[], options?: { duplicate?: boolean; outOfOrder?: boolean }): Promise<WebhookAttempt[]>
}

const DEFAULTS: FakeTwilioDefaults = {
  ...DEFAULT_CONNECTION,
  from: '+14155550123',
  to: '+18005550100',
  dialStatus: 'completed',
  dialDurationSeconds: 42,
  queueResult: 'bridged',
}

export function createFakeTwilio(options: FakeTwilioOptions = {}): FakeTwilio {
  const authToken = options.authToken ?? randomBytes(16).toString('hex')
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`
  const defaults: FakeTwilioDefaults = { ...DEFAULTS, ...options.defaults }
  const agent = new Agent({ keepAlive: true })
  const calls: PhoneCall[] = []
  let closed = false

  return {
    authToken,
    accountSid,
    calls,
    agent,
    call(callOptions) {
      if (closed) throw new Error('fake Twilio: call() after close()')
      const call = new PhoneCall({ authToken, accountSid, agent, defaults }, callOptions)
      calls.push(call)
      return call
    },
    sign: (url, params = {}) => twilioSignature(authToken, url, params),
    releaseHeld: () => calls.reduce((count, call) => count + call.releaseHeld(), 0),
    openConnections: () => 0,
    async close() {
      if (closed) return
      closed = true
      for (const call of calls) call.shutdown()
      agent.destroy()
    },
  }
}
