import { randomBytes } from 'node:crypto'
import type { Agent } from 'node:http'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { failureClass, sendAttempt, type AttemptResult } from './twilio-connection.js'
import { CallRequests, type PreparedRequest } from './twilio-requests.js'
import { DEFAULT_CONFIDENCE, gatherResult, readTwiml, type Prompt, type Verb } from './twilio-twiml.js'
import type {
  ApplicationError,
  CallerInput,
  CallOptions,
  CallPhase,
  CallStatus,
  DialStatus,
  DialTarget,
  EndReason,
  FakeCall,
  FakeTwilioDefaults,
  GatherRecord,
  Heard,
  HttpMethod,
  RequestPurpose,
  WebhookAttempt,
} from './twilio.js'

/** What Twilio says before it hangs up on a call whose webhook failed. */
export const APPLICATION_ERROR_MESSAGE = "We're sorry, an application error has occurred"

/** What every call of one fake shares. */
export interface FakeAccount {
  authToken: string
  accountSid: string
  agent: Agent
  defaults: FakeTwilioDefaults
}

type Fetched =
  | { kind: 'answer'; attempt: WebhookAttempt; contentType?: string; body: string }
  | { kind: 'failed'; error: ApplicationError }
  | { kind: 'stalled' }
  | { kind: 'abandoned' }

interface Waiter {
  resolve(): void
  reject(error: unknown): void
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex')
/** Resolves false when the call was abandoned during the pause. */
const pause = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).then(
  () => true,
  () => false,
)

/**
 * One phone call: posts the incoming-call webhook, then follows the TwiML like a handset would,
 * taking the caller's inputs from the script or from say()/press()/silence().
 */
export class PhoneCall implements FakeCall {
  readonly sid = `CA${hex(16)}`
  readonly from: string
  readonly to: string
  phase: CallPhase = 'following'
  status: CallStatus = 'ringing'
  readonly heard: Heard[] = []
  readonly dialed: DialTarget[] = []
  readonly gathers: GatherRecord[] = []
  readonly requests: WebhookAttempt[] = []
  readonly drops: Array<{ droppedAt: number; retriedAt?: number }> = []
  readonly holds: Array<{ heldAt: number; releasedAt?: number; retriedAt?: number }> = []
  ended = false
  endReason?: EndReason
  applicationError?: ApplicationError
  dialStatus: DialStatus

  readonly #account: FakeAccount
  readonly #options: CallOptions
  readonly #script: CallerInput[]
  /** The caller hung up: TwiML requests in flight are abandoned (status callbacks still go out). */
  readonly #hungUp = new AbortController()
  /** The fake closed: everything in flight is abandoned. */
  readonly #closed = new AbortController()
  readonly #twimlSignal = AbortSignal.any([this.#hungUp.signal, this.#closed.signal])
  readonly #requests: CallRequests
  #answeredAt?: number
  #stretchStart = 0
  #lastTwiml?: PreparedRequest
  #dropNext?: { retryAfterMs: number }
  #holdNext = false
  #held?: { request: PreparedRequest; attempt: WebhookAttempt; hold: { heldAt: number; releasedAt?: number; retriedAt?: number }; released: boolean }
  #input?: (input: CallerInput | undefined) => void
  /** Set from the moment an input is asked for until the request it causes is out (or none will be). */
  #unsent?: { promise: Promise<void>; resolve: () => void }
  /** An input was given (or a held request retried): the next TwiML request is the one #unsent waits for. */
  #armed = false
  #turns: Promise<unknown> = Promise.resolve()
  #sequence = 0
  #failure?: unknown
  readonly #settleWaiters: Waiter[] = []
  readonly #heldWaiters: Waiter[] = []
  readonly #finished: Promise<void>
  #resolveFinished!: () => void

  constructor(account: FakeAccount, options: CallOptions) {
    this.#account = account
    this.#options = options
    this.#script = [...(options.script ?? [])]
    this.from = options.from ?? account.defaults.from
    this.to = options.to ?? account.defaults.to
    this.dialStatus = options.dialStatus ?? account.defaults.dialStatus
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve))
    const { authToken, accountSid } = account
    this.#requests = new CallRequests({ sid: this.sid, accountSid, authToken, from: this.from, to: this.to }, options, account.defaults)
    // The first webhook leaves on the next tick, so faults set right after call() apply to it.
    queueMicrotask(() => void this.#follow(() => this.#requests.incoming(this.status)))
  }

  // ---- The caller ----

  async waitingForInput(): Promise<Heard[]> {
    await this.#settled()
    return this.heard.slice(this.#stretchStart)
  }

  finished(): Promise<void> {
    return this.#finished
  }

  say(text: string, confidence = DEFAULT_CONFIDENCE): Promise<Heard[]> {
    return this.#ask({ speech: text, confidence })
  }

  press(digits: string): Promise<Heard[]> {
    return this.#ask({ digits })
  }

  silence(): Promise<Heard[]> {
    return this.#ask({ silence: true })
  }

  async hangup(): Promise<void> {
    if (this.ended) return this.#finished
    this.#hungUp.abort()
    this.releaseHeld()
    await this.#end('caller-hangup', this.#answeredAt === undefined ? 'canceled' : 'completed')
  }

  // ---- Redelivery and faults ----

  async repeatLastRequest(): Promise<WebhookAttempt> {
    await this.#unsent?.promise
    const request = this.#lastTwiml
    if (!request) throw new Error(`fake Twilio: call ${this.sid} has sent no TwiML request to repeat`)
    const { attempt } = await this.#attempt(request, request.settings.totalTimeoutMs, this.#closed.signal, true)
    return attempt
  }

  dropNextAnswer(options: { retryAfterMs: number }): void {
    this.#dropNext = { retryAfterMs: options.retryAfterMs }
  }

  holdNextAnswer(): void {
    this.#holdNext = true
  }

  waitHeld(): Promise<void> {
    if (this.#held) return Promise.resolve()
    if (this.ended) return Promise.reject(this.#notHeld())
    return new Promise((resolve, reject) => this.#heldWaiters.push({ resolve, reject }))
  }

  /** Drops a held answer unheard (fake.releaseHeld()); 1 when there was one. */
  releaseHeld(): number {
    const held = this.#held
    if (!held || held.released) return 0
    held.released = true
    held.hold.releasedAt = Date.now()
    held.attempt.fate = 'dropped'
    return 1
  }

  retryDropped(): Promise<Heard[]> {
    this.#expectSend()
    return this.#turn(async () => {
      const held = this.#held
      if (!held) {
        this.#sent(true)
        throw new Error(`fake Twilio: call ${this.sid} has no held answer to retry`)
      }
      this.releaseHeld()
      this.#held = undefined
      held.hold.retriedAt = Date.now()
      this.#stretchStart = this.heard.length
      this.#setPhase('following')
      this.#armed = true
      void this.#follow(() => held.request)
      await this.#settled()
      return this.heard.slice(this.#stretchStart)
    })
  }

  tamperNextSignature(mode: 'missing' | 'forged'): void {
    this.#requests.tamperNext(mode)
  }

  async statusCallbacks(statuses: CallStatus[], options: { duplicate?: boolean; outOfOrder?: boolean } = {}): Promise<WebhookAttempt[]> {
    const url = this.#options.statusCallback
    if (!url) throw new Error(`fake Twilio: call ${this.sid} has no statusCallback`)
    const requests = statuses.map((status) => this.#statusRequest(url, status))
    if (options.outOfOrder) requests.reverse()
    const first = this.requests.length
    for (const request of requests) {
      for (let copy = 0; copy < (options.duplicate ? 2 : 1); copy++) await this.#notify(request)
    }
    return this.requests.slice(first).filter((attempt) => attempt.purpose === 'status')
  }

  /** The fake closed: the call is over without callbacks, and nothing it started is left running. */
  shutdown(): void {
    this.#closed.abort()
    this.releaseHeld()
    if (!this.ended) {
      this.ended = true
      this.endReason = 'fake-closed'
      this.#takeInput(undefined)
    }
    this.#setPhase('ended')
  }

  // ---- Following TwiML ----

  async #follow(first: () => PreparedRequest): Promise<void> {
    try {
      let next: PreparedRequest | undefined = first()
      while (next && !this.ended) {
        const fetched = await this.#retrieve(next)
        if (fetched === 'stalled') return this.#setPhase('stalled')
        if (fetched === 'abandoned') return
        if ('error' in fetched) return await this.#applicationError(fetched.error)
        this.#requests.documentUrl = fetched.documentUrl
        next = await this.#run(fetched.verbs)
      }
    } catch (error) {
      this.#failure = error
      this.ended = true
      this.#setPhase('ended')
    }
  }

  /** The TwiML for a request, through retries and the fallback URL, or the error the call dies of. */
  async #retrieve(request: PreparedRequest): Promise<{ verbs: Verb[]; documentUrl: string } | { error: ApplicationError } | 'stalled' | 'abandoned'> {
    const fetched = await this.#fetch(request, this.#twimlSignal)
    if (fetched.kind === 'stalled' || fetched.kind === 'abandoned') return fetched.kind
    let error: ApplicationError
    if (fetched.kind === 'answer') {
      const twiml = readTwiml(fetched.contentType, fetched.body)
      if ('verbs' in twiml) {
        fetched.attempt.fate = 'followed'
        return { verbs: twiml.verbs, documentUrl: request.documentUrl }
      }
      fetched.attempt.fate = 'failed'
      error = { ...twiml.error, url: request.signedUrl }
    } else error = fetched.error
    const fallback = this.#options.fallbackUrl
    if (!fallback || request.purpose === 'fallback') return { error }
    return this.#retrieve(this.#prepare('fallback', fallback, 'POST', { ErrorCode: String(error.code), ErrorUrl: error.url }))
  }

  /** Attempts a request under its connection settings and retry policy; applies a pending drop or hold to its answer. */
  async #fetch(request: PreparedRequest, signal: AbortSignal): Promise<Fetched> {
    const { settings } = request
    let deadline = performance.now() + settings.totalTimeoutMs
    let retries = 0
    for (;;) {
      const { attempt, result } = await this.#attempt(request, deadline - performance.now(), signal)
      if (result.kind === 'aborted') return { kind: 'abandoned' }
      if (result.kind === 'response' && request.purpose !== 'status') {
        if (this.#dropNext) {
          const { retryAfterMs } = this.#dropNext
          this.#dropNext = undefined
          attempt.fate = 'dropped'
          const drop: { droppedAt: number; retriedAt?: number } = { droppedAt: Date.now() }
          this.drops.push(drop)
          if (!(await pause(retryAfterMs, signal))) return { kind: 'abandoned' }
          drop.retriedAt = Date.now()
          deadline = performance.now() + settings.totalTimeoutMs
          retries = 0
          continue
        }
        if (this.#holdNext) {
          this.#holdNext = false
          attempt.fate = 'held'
          const hold = { heldAt: Date.now() }
          this.holds.push(hold)
          this.#held = { request, attempt, hold, released: false }
          for (const waiter of this.#heldWaiters.splice(0)) waiter.resolve()
          return { kind: 'stalled' }
        }
      }
      if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
        return { kind: 'answer', attempt, contentType: result.contentType, body: result.body }
      }
      attempt.fate = 'failed'
      const failure = failureClass(result)
      if (failure && settings.retryPolicy.includes(failure) && retries < settings.retryCount && performance.now() < deadline) {
        retries += 1
        continue
      }
      const error =
        result.kind === 'failure'
          ? { code: 11205, message: `HTTP connection failure: ${result.detail}` }
          : { code: 11200, message: `HTTP retrieval failure: status ${result.kind === 'response' ? result.status : 0}` }
      return { kind: 'failed', error: { ...error, url: request.signedUrl } }
    }
  }

  async #attempt(request: PreparedRequest, totalMs: number, signal: AbortSignal, redelivery = false): Promise<{ attempt: WebhookAttempt; result: AttemptResult }> {
    request.attempts += 1
    if (request.purpose !== 'status') {
      this.#lastTwiml = request
      if (!redelivery) this.#sent()
    }
    const attempt: WebhookAttempt = {
      purpose: request.purpose,
      url: request.wire.url,
      signedUrl: request.signedUrl,
      method: request.wire.method,
      params: request.params,
      signature: request.signature,
      idempotencyToken: request.idempotencyToken,
      attempt: request.attempts,
      redelivery,
      at: Date.now(),
      status: 0,
      responseBody: '',
      latencyMs: 0,
      fate: 'pending',
    }
    this.requests.push(attempt)
    const { connectTimeoutMs, readTimeoutMs } = request.settings
    const limits = { connectMs: connectTimeoutMs, readMs: readTimeoutMs, totalMs: Math.max(1, Math.round(totalMs)) }
    const result = await sendAttempt(this.#account.agent, request.wire, limits, signal)
    attempt.latencyMs = result.latencyMs
    if (result.kind === 'response') {
      attempt.status = result.status
      attempt.contentType = result.contentType
      attempt.responseBody = result.body
      if (redelivery || request.purpose === 'status') attempt.fate = 'ignored'
    } else {
      attempt.failure = result.kind === 'aborted' ? 'aborted' : result.failure
      if (result.kind === 'failure') attempt.detail = result.detail
      attempt.fate = result.kind === 'aborted' ? 'abandoned' : 'failed'
    }
    return { attempt, result }
  }

  /** Runs a document; returns the next request, or undefined once the call waits no more (ended). */
  async #run(verbs: Verb[]): Promise<PreparedRequest | undefined> {
    if (this.#answeredAt === undefined && verbs[0]?.verb !== 'Reject') {
      this.#answeredAt = Date.now()
      this.status = 'in-progress'
    }
    for (const verb of verbs) {
      if (this.ended) return undefined
      switch (verb.verb) {
        case 'Say':
        case 'Play':
        case 'Pause':
          this.#hear(verb)
          break
        case 'Gather': {
          const next = await this.#gather(verb.attributes, verb.prompts)
          if (next || this.ended) return next
          break
        }
        case 'Redirect':
          return this.#prepare('redirect', verb.url, verb.method)
        case 'Dial': {
          const at = Date.now()
          for (const noun of verb.nouns) {
            this.dialed.push({ verb: 'Dial', kind: noun.kind, target: noun.target, verbAttributes: verb.attributes, nounAttributes: noun.attributes, at })
          }
          // Without an action, Twilio goes on with the document once the dialled call ends.
          if (verb.attributes.action === undefined) break
          const outcome: Record<string, string> = { DialCallStatus: this.dialStatus }
          if (this.dialStatus === 'completed') {
            outcome.DialCallSid = `CA${hex(16)}`
            outcome.DialCallDuration = String(this.#account.defaults.dialDurationSeconds)
          }
          return this.#prepare('dial', verb.attributes.action, methodOf(verb.attributes), outcome)
        }
        case 'Enqueue': {
          this.dialed.push({ verb: 'Enqueue', kind: 'queue', target: verb.queue, verbAttributes: verb.attributes, nounAttributes: {}, at: Date.now() })
          if (verb.attributes.action === undefined) break
          const result = { QueueResult: this.#account.defaults.queueResult, QueueSid: `QU${hex(16)}`, QueueTime: '0' }
          return this.#prepare('enqueue', verb.attributes.action, methodOf(verb.attributes), result)
        }
        case 'Hangup':
          await this.#end('hangup', 'completed')
          return undefined
        case 'Reject':
          await this.#end('rejected', this.#answeredAt !== undefined ? 'completed' : verb.reason === 'busy' ? 'busy' : 'no-answer')
          return undefined
      }
    }
    await this.#end('end-of-document', 'completed')
    return undefined
  }

  #hear(prompt: Prompt): void {
    const at = Date.now()
    if (prompt.verb === 'Say') this.heard.push({ kind: 'say', text: prompt.text, voice: prompt.voice, language: prompt.language, loop: prompt.loop, at })
    else if (prompt.verb === 'Play') this.heard.push({ kind: 'play', text: prompt.url, loop: prompt.loop, at })
  }

  /** Plays the Gather's prompts and takes the caller's next input: the action request, or undefined to fall through. */
  async #gather(attributes: Record<string, string>, prompts: Prompt[]): Promise<PreparedRequest | undefined> {
    for (const prompt of prompts) this.#hear(prompt)
    // Without an action, a Gather posts back to the document it is in.
    const action = attributes.action ?? this.#requests.documentUrl
    const method = methodOf(attributes)
    const input = (attributes.input ?? 'dtmf').split(/\s+/).filter((kind): kind is 'speech' | 'dtmf' => kind === 'speech' || kind === 'dtmf')
    const record: GatherRecord = { input, action: this.#requests.resolve(action), method, attributes, at: Date.now() }
    this.gathers.push(record)
    const given = await this.#nextInput()
    if (!given) return undefined
    record.given = given
    const result = gatherResult(given, attributes)
    if (result) return this.#prepare('gather', action, method, result)
    if (attributes.actionOnEmptyResult === 'true') return this.#prepare('gather', action, method, {})
    return undefined
  }

  #nextInput(): Promise<CallerInput | undefined> {
    const scripted = this.#script.shift()
    if (scripted) return Promise.resolve(scripted)
    return new Promise((resolve) => {
      this.#input = resolve
      this.#setPhase('waiting')
    })
  }

  #takeInput(input: CallerInput | undefined): void {
    const resolve = this.#input
    this.#input = undefined
    resolve?.(input)
  }

  #ask(input: CallerInput): Promise<Heard[]> {
    this.#expectSend()
    return this.#turn(() => this.#give(input))
  }

  /**
   * A redelivery asked for together with an input (the same message delivered "all at once")
   * must repeat the request that input causes, so it waits for that request to be out.
   */
  #expectSend(): void {
    if (this.#unsent) return
    let resolve!: () => void
    const promise = new Promise<void>((done) => (resolve = done))
    this.#unsent = { promise, resolve }
  }

  /** The awaited request is out, or (`settled`) none will come: the call waits, stalls or ended. */
  #sent(settled = false): void {
    if (!this.#armed && !settled) return
    this.#armed = false
    this.#unsent?.resolve()
    this.#unsent = undefined
  }

  /** Runs caller actions one at a time, in the order they were asked for. */
  #turn<T>(action: () => Promise<T>): Promise<T> {
    const turn = this.#turns.then(action)
    this.#turns = turn.catch(() => undefined)
    return turn
  }

  async #give(input: CallerInput): Promise<Heard[]> {
    await this.#settled()
    if (this.phase !== 'waiting') {
      this.#sent(true)
      if (this.phase === 'ended') throw new Error(`fake Twilio: call ${this.sid} has ended (${this.endReason}), the caller cannot ${describeInput(input)}`)
      throw new Error(`fake Twilio: call ${this.sid} is stalled on a held answer; retryDropped() first`)
    }
    this.#stretchStart = this.heard.length
    this.#setPhase('following')
    this.#armed = true
    this.#takeInput(input)
    await this.#settled()
    return this.heard.slice(this.#stretchStart)
  }

  async #applicationError(error: ApplicationError): Promise<void> {
    this.applicationError = error
    this.#answeredAt ??= Date.now()
    this.heard.push({ kind: 'error', text: APPLICATION_ERROR_MESSAGE, loop: 1, at: Date.now() })
    await this.#end('application-error', 'completed')
  }

  async #end(reason: EndReason, status: CallStatus): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.endReason = reason
    this.status = status
    this.#takeInput(undefined)
    const url = this.#options.statusCallback
    if (url) await this.#notify(this.#statusRequest(url, status))
    this.#setPhase('ended')
  }

  #setPhase(phase: CallPhase): void {
    this.phase = phase
    if (phase === 'following') return
    this.#sent(phase === 'ended')
    for (const waiter of this.#settleWaiters.splice(0)) {
      if (this.#failure) waiter.reject(this.#failure)
      else waiter.resolve()
    }
    if (phase !== 'ended') return
    for (const waiter of this.#heldWaiters.splice(0)) waiter.reject(this.#notHeld())
    this.#resolveFinished()
  }

  #settled(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure)
    if (this.phase !== 'following') return Promise.resolve()
    return new Promise((resolve, reject) => this.#settleWaiters.push({ resolve, reject }))
  }

  #notHeld(): Error {
    return new Error(`fake Twilio: call ${this.sid} ended (${this.endReason}) without holding an answer`)
  }

  // ---- Requests ----

  /** A follow-up request carrying the call's standard parameters plus `extra`. */
  #prepare(purpose: RequestPurpose, url: string, method: HttpMethod, extra: Record<string, string> = {}): PreparedRequest {
    return this.#requests.followUp(purpose, url, method, { ...this.#requests.params(this.status), ...extra })
  }

  #statusRequest(url: string, status: CallStatus): PreparedRequest {
    const duration = status === 'completed' && this.#answeredAt !== undefined ? Math.round((Date.now() - this.#answeredAt) / 1000) : undefined
    return this.#requests.statusCallback(url, status, this.#sequence++, duration)
  }

  /** Posts a status callback; Twilio reads nothing from its answer. */
  async #notify(request: PreparedRequest): Promise<void> {
    await this.#fetch(request, this.#closed.signal)
  }
}

function methodOf(attributes: Record<string, string>): HttpMethod {
  return attributes.method?.toUpperCase() === 'GET' ? 'GET' : 'POST'
}

function describeInput(input: CallerInput): string {
  if ('speech' in input) return `say "${input.speech}"`
  if ('digits' in input) return `press ${input.digits}`
  return 'stay silent'
}
