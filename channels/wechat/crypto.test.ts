import { createCipheriv } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decryptMessage, encryptMessage } from '../../test/fakes/wechat-crypto.js'
import { EnvelopeRefused, openEnvelope, seal, signatureMatches, signatureOf } from './crypto.js'

// channels.md §3.a, computed independently of @wecom/crypto.
const URL_VECTOR = { token: 'testtoken', timestamp: '1409304348', nonce: 'xxxxxx', signature: '30d7c91db269b3e0cb3e1a131646b6d1ae4750f5' }
const AES_VECTOR = {
  key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appId: 'wxb11529c136998cb6',
  token: 'pamtest',
  timestamp: '1409304348',
  nonce: 'xxxxxx',
  plaintext:
    '<xml><ToUserName><![CDATA[gh_123]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1409304348</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>1234567890123456</MsgId></xml>',
  encrypt:
    'jn1L23DB+6ELqJ+6bruv2xVKnRKouuuS8MBF+bjvhwEOwCsQEmPOHcb1wKExqwcZ8ysgIfFEMmmW+P4tHDwKeqjwkLx12edh2zIFtIePs5E2XtD5UmGU1d4nF4NAO2OLuGPBxEGlTKDmqBMnmP3GDsDx7lDLEajzvfGCuJ35Q0e6ze95bJzXFpSXCT/eWicGXmVYTdFep3VmcbkDbSqVx0SlRt7napSkq3y8uuKaS/ujyssne1avntO7Siw+YFbtMlqvcSBBBN0vHBm+Hc60xfIXi3y+EFhU+nlPQDGaJtVWBCJlBSL7NimSJgaPNGnIrgSrhT9k2+ZRTKqwzYUsmLbS6N/9+AscLCHeS9KPpvx2cs6xA633VYStygeF7EbN',
  msgSignature: '1f1faa6a84007039dd8cf66074e9b9c32d2bbf60',
}

/** AES-256-CBC over exactly `plain` (no padding added), as WeChat's key and IV: for hand-made bad plaintexts. */
function rawCipher(plain: Buffer, encodingAESKey = AES_VECTOR.key): string {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64')
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

/** random16 | length | message | trailer | padding, each part chosen by the test. */
function plaintext(message: string | Buffer, trailer: string, options: { length?: number; pad?: number; padTo?: number } = {}): Buffer {
  const body = Buffer.isBuffer(message) ? message : Buffer.from(message, 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(options.length ?? body.length)
  const core = Buffer.concat([Buffer.from('aaaabbbbccccdddd'), length, body, Buffer.from(trailer)])
  const padTo = options.padTo ?? 32
  const padding = padTo - (core.length % padTo)
  const value = options.pad ?? padding
  return Buffer.concat([core, Buffer.alloc(padding, value)])
}

describe('signatures', () => {
  it('reproduces the URL signature vector: sha1 of token, timestamp and nonce, sorted', () => {
    expect(signatureOf(URL_VECTOR.token, URL_VECTOR.timestamp, URL_VECTOR.nonce)).toBe(URL_VECTOR.signature)
  })

  it('reproduces the msg_signature vector over the Encrypt value', () => {
    expect(signatureOf(AES_VECTOR.token, AES_VECTOR.timestamp, AES_VECTOR.nonce, AES_VECTOR.encrypt)).toBe(AES_VECTOR.msgSignature)
  })

  it.each([
    ['the right signature', URL_VECTOR.signature, true],
    ['one bit flipped', `${URL_VECTOR.signature.slice(0, 39)}4`, false],
    ['upper-case hex', URL_VECTOR.signature.toUpperCase(), false],
    ['one digit short', URL_VECTOR.signature.slice(1), false],
    ['one digit long', `${URL_VECTOR.signature}0`, false],
    ['not hex at all', 'z'.repeat(40), false],
    ['empty', '', false],
    ['absent', undefined, false],
  ])('accepts only the exact signature: %s', (_name, presented, accepted) => {
    expect(signatureMatches(presented, URL_VECTOR.signature)).toBe(accepted)
  })
})

describe('opening an Encrypt value', () => {
  it('decrypts the vector and checks its appid trailer', () => {
    expect(openEnvelope(AES_VECTOR.encrypt, AES_VECTOR.key, AES_VECTOR.appId)).toBe(AES_VECTOR.plaintext)
  })

  it('opens what the fake WeChat (node:crypto, written apart from @wecom/crypto) encrypts, CJK included', () => {
    const message = '<xml><Content><![CDATA[你好 & <hi> ]]]]><![CDATA[>]]></Content></xml>'
    expect(openEnvelope(encryptMessage(message, AES_VECTOR.key, 'wwcorp'), AES_VECTOR.key, 'wwcorp')).toBe(message)
  })

  it('accepts every legal pad value of the 32-byte block, 17–32 included', () => {
    for (const length of [0, 1, 11, 12, 13, 27, 43]) {
      const message = 'x'.repeat(length)
      expect(openEnvelope(rawCipher(plaintext(message, AES_VECTOR.appId)), AES_VECTOR.key, AES_VECTOR.appId)).toBe(message)
    }
  })

  it.each([
    ['made for another app (wrong appid trailer)', () => rawCipher(plaintext('<xml/>', 'wxattacker000000000'))],
    ['a trailer that only starts with our appid', () => rawCipher(plaintext('<xml/>', `${AES_VECTOR.appId}x`))],
    ['pad value 0', () => rawCipher(plaintext('<xml/>', AES_VECTOR.appId, { pad: 0 }))],
    ['pad value over 32', () => rawCipher(plaintext('<xml/>', AES_VECTOR.appId, { pad: 33 }))],
    ['padding bytes that disagree', () => rawCipher(Buffer.concat([plaintext('<xml/>', AES_VECTOR.appId).subarray(0, -2), Buffer.from([9, 2])]))],
    ['padded to 16-byte blocks', () => rawCipher(plaintext('<xml/>', AES_VECTOR.appId, { padTo: 16 }))],
    ['a length prefix running past the end', () => rawCipher(plaintext('<xml/>', AES_VECTOR.appId, { length: 0xffffffff }))],
    ['a length prefix too short', () => rawCipher(plaintext('<xml/>', AES_VECTOR.appId, { length: 2 }))],
    ['bytes that are not UTF-8', () => rawCipher(plaintext(Buffer.from('<xml>\xff</xml>', 'latin1'), AES_VECTOR.appId))],
    ['a ciphertext not a whole number of blocks', () => AES_VECTOR.encrypt.slice(0, -8)],
    ['16 bytes, one AES block', () => rawCipher(Buffer.alloc(16, 16))],
    ['truncated base64', () => AES_VECTOR.encrypt.slice(0, -1)],
    ['not base64', () => `${AES_VECTOR.encrypt.slice(0, -4)}%%%%`],
    ['empty', () => ''],
    ['encrypted with another key', () => encryptMessage('<xml/>', 'A'.repeat(43), AES_VECTOR.appId)],
  ])('refuses an Encrypt value %s, with the one error every refusal gets', (_name, make) => {
    const attempt = () => openEnvelope(make(), AES_VECTOR.key, AES_VECTOR.appId)
    expect(attempt).toThrow(EnvelopeRefused)
  })
})

describe('sealing a passive reply', () => {
  it('encrypts for our app and signs with the token, so WeChat (the fake) can open and verify it', () => {
    const sealed = seal('<xml><Content><![CDATA[好的]]></Content></xml>', { token: AES_VECTOR.token, encodingAESKey: AES_VECTOR.key, receiveId: AES_VECTOR.appId, timestamp: '1712052001' })
    expect(sealed.signature).toBe(signatureOf(AES_VECTOR.token, '1712052001', sealed.nonce, sealed.encrypt))
    const opened = decryptMessage(sealed.encrypt, AES_VECTOR.key)
    expect(opened).toEqual({ message: Buffer.from('<xml><Content><![CDATA[好的]]></Content></xml>'), receiveId: AES_VECTOR.appId })
  })
})
