import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from 'node:crypto'

/**
 * WeChat's message crypto, written from the protocol description with node:crypto alone, so the
 * fake cross-checks the channel's own implementation (@wecom/crypto) instead of sharing its bugs.
 * OA safe mode, OA compat mode and WeCom callbacks all use it; the trailer is the appid or corpid.
 */

/** PKCS#7 over 32-byte blocks, not AES's 16: pad values run 1–32. */
const BLOCK = 32
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

export class WeChatCryptoError extends Error {}

/** sha1 over the parts sorted lexicographically and joined: the URL signature and msg_signature alike. */
export function wechatSignature(...parts: string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex')
}

/** The 32-byte AES key of an EncodingAESKey (43 base64 characters without their padding). */
export function aesKeyOf(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) throw new WeChatCryptoError('an EncodingAESKey is 43 base64 characters')
  return Buffer.from(`${encodingAesKey}=`, 'base64')
}

/** A fresh EncodingAESKey, as the admin console generates one. */
export function newEncodingAesKey(): string {
  return randomBytes(32).toString('base64').slice(0, 43)
}

/** Characters from [A-Za-z0-9], like the random prefixes and ids WeChat makes. */
export function randomAlphanumeric(length: number): string {
  return Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('')
}

/** A numeric string of `length` digits with no leading zero, like WeChat's nonces and echostr values. */
export function randomDigits(length: number): string {
  return String(randomInt(1, 10)) + Array.from({ length: length - 1 }, () => String(randomInt(10))).join('')
}

/** base64( AES-256-CBC( random16 | uint32BE length | message | receiveId ) ), IV = key[0..16]. */
export function encryptMessage(message: string | Buffer, encodingAesKey: string, receiveId: string, random: string | Buffer = randomAlphanumeric(16)): string {
  const key = aesKeyOf(encodingAesKey)
  const body = Buffer.isBuffer(message) ? message : Buffer.from(message, 'utf8')
  const prefix = Buffer.isBuffer(random) ? random : Buffer.from(random, 'utf8')
  if (prefix.length !== 16) throw new WeChatCryptoError('the random prefix is 16 bytes')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  const plain = Buffer.concat([prefix, length, body, Buffer.from(receiveId, 'utf8')])
  const pad = BLOCK - (plain.length % BLOCK)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64')
}

/** The message and the trailing receiveId of an Encrypt value; throws WeChatCryptoError on anything malformed. */
export function decryptMessage(encrypt: string, encodingAesKey: string): { message: Buffer; receiveId: string } {
  const key = aesKeyOf(encodingAesKey)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encrypt) || encrypt.length % 4 !== 0) throw new WeChatCryptoError('Encrypt is not base64')
  const data = Buffer.from(encrypt, 'base64')
  if (data.length === 0 || data.length % 16 !== 0) throw new WeChatCryptoError('the ciphertext is not a whole number of AES blocks')
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(data), decipher.final()])
  const pad = plain[plain.length - 1]!
  if (pad < 1 || pad > BLOCK || pad > plain.length || !plain.subarray(plain.length - pad).every((byte) => byte === pad)) throw new WeChatCryptoError('bad PKCS#7 padding')
  const unpadded = plain.subarray(0, plain.length - pad)
  if (unpadded.length < 20) throw new WeChatCryptoError('the plaintext is too short')
  const length = unpadded.readUInt32BE(16)
  if (20 + length > unpadded.length) throw new WeChatCryptoError('the message length runs past the plaintext')
  return { message: unpadded.subarray(20, 20 + length), receiveId: unpadded.subarray(20 + length).toString('utf8') }
}
