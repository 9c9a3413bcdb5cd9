import { randomBytes, timingSafeEqual } from 'node:crypto'
import { decrypt, encrypt, getSignature } from '@wecom/crypto'

/** A SHA-1 hex digest as WeChat writes it. */
const SHA1_HEX = /^[0-9a-f]{40}$/
/** Standard base64 with its padding, as WeChat writes Encrypt (and WeCom's echostr). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
/** AES-CBC blocks padded (PKCS#7) to WeChat's 32-byte block. */
const CIPHER_BLOCK = 32

/**
 * `signature` (URL verification and every OA callback: token, timestamp, nonce) or
 * `msg_signature` (safe mode and WeCom: the same plus the Encrypt value): SHA-1 of the parts
 * sorted and joined. An empty `encrypt` sorts first and adds nothing, so one function makes both.
 */
export const signatureOf = (token: string, timestamp: string, nonce: string, encrypt = ''): string => getSignature(token, timestamp, nonce, encrypt)

/**
 * Whether a presented signature is the expected one. The shape is checked first (40 lower-case
 * hex digits, as WeChat sends), then the bytes in constant time: a wrong length, a wrong case or
 * one flipped bit all take the same path to the same "no".
 */
export function signatureMatches(presented: string | undefined, expected: string): boolean {
  const shaped = presented !== undefined && SHA1_HEX.test(presented)
  const a = Buffer.from(shaped ? presented : '0'.repeat(40), 'hex')
  return timingSafeEqual(a, Buffer.from(expected, 'hex')) && shaped
}

/** Why an Encrypt value was refused; every reason gets the same answer, so none of them is an oracle. */
export class EnvelopeRefused extends Error {
  override name = 'EnvelopeRefused'
}

/**
 * The message inside an Encrypt value, once it is proved to be ours. @wecom/crypto decrypts, but
 * leniently (it keeps bad padding, decodes UTF-8 lossily and takes any length prefix): so the
 * plaintext must also re-encrypt, with the random prefix it came with, to exactly the ciphertext
 * WeChat sent. That one comparison proves the padding, the length prefix, the UTF-8 and the
 * trailing appid/corpid, which must be `receiveId`.
 */
export function openEnvelope(encrypted: string, encodingAESKey: string, receiveId: string): string {
  if (!BASE64.test(encrypted)) throw new EnvelopeRefused('Encrypt is not base64')
  const bytes = Buffer.byteLength(encrypted, 'base64')
  if (bytes === 0 || bytes % CIPHER_BLOCK !== 0) throw new EnvelopeRefused('Encrypt is not a whole number of cipher blocks')
  let opened: ReturnType<typeof decrypt>
  try {
    opened = decrypt(encodingAESKey, encrypted)
  } catch {
    throw new EnvelopeRefused('Encrypt does not decrypt')
  }
  if (opened.random.length !== 16 || encrypt(encodingAESKey, opened.message, opened.id, opened.random) !== encrypted) throw new EnvelopeRefused('Encrypt is malformed inside')
  if (!sameText(opened.id, receiveId)) throw new EnvelopeRefused('Encrypt was made for another app')
  return opened.message
}

/** An encrypted, signed passive reply body: `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`. */
export interface SealedReply {
  encrypt: string
  signature: string
  timestamp: string
  nonce: string
}

/** Encrypts a reply for the app `receiveId` and signs it with the callback token. */
export function seal(message: string, options: { token: string; encodingAESKey: string; receiveId: string; timestamp: string; nonce?: string }): SealedReply {
  const encrypted = encrypt(options.encodingAESKey, message, options.receiveId, randomBytes(16))
  const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE(0))
  return { encrypt: encrypted, signature: signatureOf(options.token, options.timestamp, nonce, encrypted), timestamp: options.timestamp, nonce }
}

/** Constant-time equality of two strings of any length. */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}
