import { randomBytes, randomUUID } from 'node:crypto'
import { connectionOverrides, type ConnectionSettings, type WireRequest } from './twilio-connection.js'
import { twilioSignature } from './twilio-signature.js'
import type { CallOptions, CallStatus, FakeTwilioDefaults, HttpMethod, RequestPurpose } from './twilio.js'

/** A request ready to send, and to send again identically (retries, redeliveries). */
export interface PreparedRequest {
  purpose: RequestPurpose
  wire: WireRequest
  /** The public URL before GET params were appended: what relative URLs in its answer resolve against. */
  documentUrl: string
  signedUrl: string
  params: Record<string, string>
  signature: string | null
  idempotencyToken: string
  settings: ConnectionSettings
  attempts: number
}

export interface CallIdentity {
  sid: string
  accountSid: string
  authToken: string
  from: string
  to: string
}

const isAbsolute = (url: string) => /^[a-z][a-z0-9+.-]*:/i.test(url)
const withQuery = (url: string, query: string) => (query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url)

/**
 * The webhook requests of one call, built as Twilio builds them: its standard parameters, the URL
 * as Twilio sees it (public, fragment stripped) and where it really goes, signed, with an
 * idempotency token that stays the same when the request is sent again.
 */
export class CallRequests {
  /** The public URL of the document being run. */
  documentUrl = ''
  #tamperNext?: 'missing' | 'forged'
  readonly #publicOrigin?: string
  readonly #localOrigin?: string

  constructor(
    private readonly call: CallIdentity,
    private readonly options: CallOptions,
    private readonly defaults: FakeTwilioDefaults,
  ) {
    if (options.signatureUrl) {
      this.#publicOrigin = new URL(options.signatureUrl).origin
      this.#localOrigin = new URL(options.voiceUrl).origin
    }
  }

  /** The next TwiML request goes unsigned or signed with another token. */
  tamperNext(mode: 'missing' | 'forged'): void {
    this.#tamperNext = mode
  }

  incoming(status: CallStatus): PreparedRequest {
    const { url, settings } = connectionOverrides(this.options.voiceUrl, this.defaults)
    const signedUrl = this.options.signatureUrl ? connectionOverrides(this.options.signatureUrl, this.defaults).url : url
    return this.#build('incoming', url, signedUrl, settings, this.options.method ?? 'POST', this.params(status))
  }

  /** A request to a URL from the TwiML (relative to the current document; its fragment sets overrides). */
  followUp(purpose: RequestPurpose, url: string, method: HttpMethod, params: Record<string, string>): PreparedRequest {
    const { settings } = connectionOverrides(url, this.defaults)
    const signedUrl = this.resolve(url)
    return this.#build(purpose, this.#onWire(signedUrl), signedUrl, settings, method, params)
  }

  statusCallback(url: string, status: CallStatus, sequence: number, durationSeconds?: number): PreparedRequest {
    const params: Record<string, string> = {
      ...this.params(status),
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(sequence),
      Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
    }
    if (durationSeconds !== undefined) params.CallDuration = String(durationSeconds)
    return this.followUp('status', url, 'POST', params)
  }

  /** The parameters Twilio sends with every request of a call, with the call's own additions and removals. */
  params(status: CallStatus): Record<string, string> {
    const { from, to } = this.call
    const place = (prefix: string) => ({ [`${prefix}City`]: 'SAN FRANCISCO', [`${prefix}State`]: 'CA', [`${prefix}Zip`]: '94105', [`${prefix}Country`]: 'US' })
    const params: Record<string, string> = {
      AccountSid: this.call.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: this.call.sid,
      CallStatus: status,
      Called: to,
      Caller: from,
      Direction: 'inbound',
      From: from,
      To: to,
      ...place('Called'),
      ...place('Caller'),
      ...place('From'),
      ...place('To'),
    }
    for (const [name, value] of Object.entries(this.options.params ?? {})) {
      if (value === null) delete params[name]
      else params[name] = value
    }
    return params
  }

  /** The public URL a TwiML URL stands for: relative ones against the current document; the fragment is dropped. */
  resolve(url: string): string {
    const bare = url.split('#')[0]!
    return isAbsolute(bare) ? bare : new URL(bare, this.documentUrl).href
  }

  /** Where a public URL is really sent: the gateway's local address when it is on the public origin. */
  #onWire(publicUrl: string): string {
    if (!this.#publicOrigin || !this.#localOrigin) return publicUrl
    const url = new URL(publicUrl)
    return url.origin === this.#publicOrigin ? `${this.#localOrigin}${url.pathname}${url.search}` : publicUrl
  }

  #build(purpose: RequestPurpose, wireUrl: string, signedUrl: string, settings: ConnectionSettings, method: HttpMethod, params: Record<string, string>): PreparedRequest {
    const form = new URLSearchParams(params).toString()
    const tamper = purpose === 'status' ? undefined : this.#tamperNext
    if (tamper) this.#tamperNext = undefined
    // GET webhooks carry their params in the URL, so only the URL is signed.
    const signed = method === 'GET' ? withQuery(signedUrl, form) : signedUrl
    const signingKey = tamper === 'forged' ? randomBytes(16).toString('hex') : this.call.authToken
    const signature = tamper === 'missing' ? null : twilioSignature(signingKey, signed, method === 'POST' ? params : {})
    const idempotencyToken = randomUUID()
    const headers: Record<string, string> = { accept: '*/*', 'user-agent': 'TwilioProxy/1.1', 'i-twilio-idempotency-token': idempotencyToken }
    if (signature !== null) headers['x-twilio-signature'] = signature
    if (method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers['content-length'] = String(Buffer.byteLength(form))
    }
    const wire: WireRequest = method === 'POST' ? { url: wireUrl, method, headers, body: form } : { url: withQuery(wireUrl, form), method, headers }
    return { purpose, wire, documentUrl: signedUrl, signedUrl: signed, params, signature, idempotencyToken, settings, attempts: 0 }
  }
}
