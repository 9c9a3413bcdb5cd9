import { EnvelopeRefused, openEnvelope, seal, signatureMatches, signatureOf } from './crypto.js'
import type { SignedParams } from './callback-query.js'
import { field, parseCallbackXml, sealedReplyXml, type XmlRecord } from './xml.js'

/** What authenticates one app's callbacks. */
export interface CallbackSecrets {
  transport: 'official-account' | 'wecom'
  /** WeCom callbacks are always encrypted; an OA's as its console says. */
  encryption: 'safe' | 'compatible' | 'plain'
  token: string
  /** Absent only in plain mode. */
  encodingAESKey?: string
  /** The appId (OA) or corpId (WeCom) every ciphertext must end with. */
  receiveId: string
}

/**
 * A request that cannot be authenticated. `action` names it in the audit log; the answer is the
 * same 401 whatever the reason, so a prober learns nothing from it.
 */
export class Refusal extends Error {
  override name = 'Refusal'
  constructor(
    readonly action: string,
    reason: string,
    /** No credentials at all, rather than wrong ones. */
    readonly missing = false,
  ) {
    super(reason)
  }
}

/** A callback's plaintext fields, and whether they came encrypted (a passive reply then goes back encrypted). */
export interface OpenedCallback {
  record: XmlRecord
  encrypted: boolean
}

/**
 * The URL signature (OA): checked before the body is read, since it covers only the query. WeCom
 * has none; its msg_signature covers the Encrypt field and is checked in `openCallback`.
 */
export function checkUrlSignature(secrets: CallbackSecrets, params: SignedParams): void {
  if (secrets.transport === 'wecom') {
    if (params.msgSignature === undefined) throw new Refusal('channel.signature_missing', 'no msg_signature', true)
    return
  }
  if (params.signature === undefined) throw new Refusal('channel.signature_missing', 'no signature', true)
  if (!signatureMatches(params.signature, signatureOf(secrets.token, params.timestamp, params.nonce))) throw new Refusal('channel.signature_invalid', 'wrong signature')
}

/**
 * The callback's plaintext fields from the parsed body. Encrypted (safe mode, WeCom, and compat
 * mode when the Encrypt copy is there): msg_signature over Encrypt, then decryption, then the
 * trailer. A plaintext body is taken only where the console allows it (plain and compat modes);
 * in safe mode it is refused, as it could have come from anyone who saw one signed URL.
 */
export function openCallback(secrets: CallbackSecrets, params: SignedParams, outer: XmlRecord): OpenedCallback {
  const encrypted = field(outer, 'Encrypt')
  const wantsEncrypted = secrets.transport === 'wecom' || secrets.encryption === 'safe'
  if (encrypted === undefined || secrets.encryption === 'plain') {
    if (wantsEncrypted) throw new Refusal('channel.plaintext_refused', 'a plaintext callback where the console is set to encrypt')
    return { record: outer, encrypted: false }
  }
  if (params.msgSignature === undefined) throw new Refusal('channel.signature_missing', 'an Encrypt field without msg_signature', true)
  if (!signatureMatches(params.msgSignature, signatureOf(secrets.token, params.timestamp, params.nonce, encrypted))) throw new Refusal('channel.signature_invalid', 'wrong msg_signature')
  return { record: parseCallbackXml(open(secrets, encrypted)), encrypted: true }
}

/**
 * GET URL verification: the text to answer with. OA: the echostr as sent, once `signature` holds;
 * WeCom: the echostr decrypted, once `msg_signature` over it holds.
 */
export function verifiedEcho(secrets: CallbackSecrets, params: SignedParams, echostr: string): string {
  if (secrets.transport === 'official-account') {
    checkUrlSignature(secrets, params)
    return echostr
  }
  if (params.msgSignature === undefined) throw new Refusal('channel.signature_missing', 'no msg_signature', true)
  if (!signatureMatches(params.msgSignature, signatureOf(secrets.token, params.timestamp, params.nonce, echostr))) throw new Refusal('channel.signature_invalid', 'wrong msg_signature')
  return open(secrets, echostr)
}

/** A passive reply's XML as it goes back: encrypted and signed when the callback came encrypted. */
export function replyBody(secrets: CallbackSecrets, xml: string, encrypted: boolean, nowMs: number): string {
  if (!encrypted) return xml
  return sealedReplyXml(seal(xml, { token: secrets.token, encodingAESKey: secrets.encodingAESKey!, receiveId: secrets.receiveId, timestamp: String(Math.floor(nowMs / 1000)) }))
}

function open(secrets: CallbackSecrets, encrypted: string): string {
  try {
    return openEnvelope(encrypted, secrets.encodingAESKey!, secrets.receiveId)
  } catch (error) {
    if (error instanceof EnvelopeRefused) throw new Refusal('channel.envelope_invalid', error.message)
    throw error
  }
}
