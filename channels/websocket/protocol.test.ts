import { describe, expect, it } from 'vitest'
import { decodeFrame, encode } from './protocol.js'

describe('decodeFrame', () => {
  it.each([
    ['{"type":"hello"}', { type: 'hello' }],
    ['{"type":"hello","token":"t","after_seq":4,"user":{"locale":"zh-CN"}}', { type: 'hello', token: 't', after_seq: 4, user: { locale: 'zh-CN' } }],
    ['{"type":"message","client_id":"c1","text":"你好 👋"}', { type: 'message', client_id: 'c1', text: '你好 👋' }],
    ['{"type":"postback","client_id":"c2","value":"refund","text":"Refunds"}', { type: 'postback', client_id: 'c2', value: 'refund', text: 'Refunds' }],
    ['{"type":"resume","after_seq":0}', { type: 'resume', after_seq: 0 }],
    ['{"type":"ping"}', { type: 'ping' }],
  ])('accepts %s', (raw, frame) => {
    expect(decodeFrame(raw)).toEqual({ ok: true, frame })
  })

  it.each([
    ['{"type":"message"', 'frame is not valid JSON'],
    ['[1,2]', 'frame must be a JSON object'],
    ['null', 'frame must be a JSON object'],
    ['{"type":"shout"}', 'unknown frame type "shout"'],
    ['{"text":"no type"}', 'unknown frame type null'],
    ['{"type":"message","client_id":"","text":"x"}', 'message: client_id: Too small: expected string to have >=1 characters'],
    ['{"type":"message","client_id":"c","text":""}', 'message: text: Too small: expected string to have >=1 characters'],
    ['{"type":"resume","after_seq":-1}', 'resume: after_seq: Too small: expected number to be >=0'],
    ['{"type":"hello","after_seq":1e400}', 'hello: after_seq: Invalid input: expected number, received Infinity'],
  ])('rejects %s', (raw, message) => {
    expect(decodeFrame(raw)).toEqual({ ok: false, message })
  })

  it('replaces characters the store cannot keep instead of failing later', () => {
    const decoded = decodeFrame('{"type":"message","client_id":"c","text":"a\\u0000b\\ud800c"}')
    expect(decoded).toEqual({ ok: true, frame: { type: 'message', client_id: 'c', text: 'a\uFFFDb\uFFFDc' } })
  })
})

describe('encode', () => {
  it('writes bot messages and errors in the documented shape', () => {
    const at = new Date('2026-01-02T03:04:05Z')
    expect(JSON.parse(encode.message({ id: 'm1', seq: 3, text: 'hi', parts: [{ type: 'text', text: 'hi' }], at }))).toEqual({
      type: 'message',
      id: 'm1',
      seq: 3,
      text: 'hi',
      parts: [{ type: 'text', text: 'hi' }],
      at: '2026-01-02T03:04:05.000Z',
    })
    expect(JSON.parse(encode.error('SB_ERR_RATE_LIMITED', 'slow down', { clientId: 'c', retryAfterMs: 500 }))).toEqual({
      type: 'error',
      code: 'SB_ERR_RATE_LIMITED',
      message: 'slow down',
      client_id: 'c',
      retry_after_ms: 500,
    })
  })
})
