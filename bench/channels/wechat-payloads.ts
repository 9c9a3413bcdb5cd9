import { randomBytes } from 'node:crypto'
import { decryptMessage, encryptMessage, randomAlphanumeric, randomDigits, WeChatCryptoError, wechatSignature } from '../../test/fakes/wechat-crypto.js'
import { callbackXml, parseXmlRoot, textOf } from '../../test/fakes/wechat-xml.js'
import type { WeChatIdentity } from './messages.js'
import { messageText, type Conversation, type Post, type Reading, type Target } from './payloads.js'

/**
 * Users of an Official Account in safe mode, posting text messages as WeChat does: the callback
 * XML encrypted (AES-256-CBC, 32-byte PKCS#7, random16 | length | xml | appid), `msg_signature`
 * over sort(token, timestamp, nonce, Encrypt) next to the plain `signature`, a fresh nonce and
 * MsgId on every post. The test fake's node:crypto implementation does the cipher, not the
 * @wecom/crypto the servers use.
 */
export function wechatConversations(count: number, account: WeChatIdentity): Conversation[] {
  let msgId = 24_513_355_843_215_136n
  return Array.from({ length: count }, () => {
    const openid = `o${randomAlphanumeric(27)}`
    return {
      key: openid,
      post(seq: number, target: Target): Post {
        const timestamp = String(Math.floor(Date.now() / 1000))
        const nonce = randomDigits(10)
        const xml = callbackXml([
          ['ToUserName', account.originalId],
          ['FromUserName', openid],
          ['CreateTime', Number(timestamp)],
          ['MsgType', 'text'],
          ['Content', messageText(seq)],
          ['MsgId', msgId++],
        ])
        const encrypt = encryptMessage(xml, account.encodingAESKey, account.appId, randomBytes(16))
        const query = new URLSearchParams({
          signature: wechatSignature(account.token, timestamp, nonce),
          timestamp,
          nonce,
          openid,
          encrypt_type: 'aes',
          msg_signature: wechatSignature(account.token, timestamp, nonce, encrypt),
        })
        return {
          path: `${target.path}?${query}`,
          body: callbackXml([['ToUserName', account.originalId], ['Encrypt', encrypt]]),
          headers: { 'content-type': 'text/xml' },
        }
      },
      read: (answer) => readAnswer(answer.body, account, openid),
    }
  })
}

/** `success`, an empty body, or an encrypted passive reply that WeChat would verify, decrypt and show. */
function readAnswer(answer: string, account: WeChatIdentity, openid: string): Reading {
  if (answer === 'success' || answer === '') return {}
  const outer = parseXmlRoot(answer)
  if ('problem' in outer) return outer
  const [encrypt, signature, timestamp, nonce] = ['Encrypt', 'MsgSignature', 'TimeStamp', 'Nonce'].map((name) => textOf(outer.root, name))
  if (!encrypt || !signature || !timestamp || !nonce) return { problem: 'a passive reply without Encrypt, MsgSignature, TimeStamp and Nonce' }
  if (wechatSignature(account.token, timestamp, nonce, encrypt) !== signature) return { problem: 'the passive reply signature does not verify' }
  let plain: { message: Buffer; receiveId: string }
  try {
    plain = decryptMessage(encrypt, account.encodingAESKey)
  } catch (error) {
    if (error instanceof WeChatCryptoError) return { problem: `the passive reply does not decrypt: ${error.message}` }
    throw error
  }
  if (plain.receiveId !== account.appId) return { problem: 'the passive reply is encrypted for another appid' }
  const inner = parseXmlRoot(plain.message.toString('utf8'))
  if ('problem' in inner) return inner
  if (textOf(inner.root, 'ToUserName') !== openid || textOf(inner.root, 'FromUserName') !== account.originalId) return { problem: 'the passive reply is addressed to someone else' }
  if (textOf(inner.root, 'MsgType') !== 'text') return { problem: 'the passive reply is not text' }
  return { reply: textOf(inner.root, 'Content') ?? '' }
}
