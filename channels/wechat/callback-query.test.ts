import { describe, expect, it } from 'vitest'
import { queryParams, signedParams, withinWindow } from './callback-query.js'

describe('the callback query', () => {
  it('keeps a literal + (base64 in an echostr) and decodes escapes', () => {
    expect(queryParams('echostr=ab+c%2Bd%3D%3D&nonce=123')).toEqual({ echostr: 'ab+c+d==', nonce: '123' })
  })

  it('takes the first of a repeated name, and refuses a malformed escape', () => {
    expect(queryParams('signature=a&signature=b')).toEqual({ signature: 'a' })
    expect(queryParams('signature=%E0%A4%A')).toBeUndefined()
  })

  it('needs a numeric timestamp and a plain nonce', () => {
    expect(signedParams({ timestamp: '1712052000', nonce: '998877', signature: 'ab' })).toEqual({ timestamp: '1712052000', nonce: '998877', signature: 'ab' })
    expect(signedParams({ timestamp: '1712052000', nonce: 'x', msg_signature: 'cd' })).toEqual({ timestamp: '1712052000', nonce: 'x', msgSignature: 'cd' })
    const bad: Record<string, string>[] = [{ nonce: '1' }, { timestamp: '1' }, { timestamp: '-1', nonce: '1' }, { timestamp: '1e9', nonce: '1' }, { timestamp: '1', nonce: 'a b' }, { timestamp: '1', nonce: 'n'.repeat(65) }]
    for (const params of bad) expect(signedParams(params)).toBeUndefined()
  })

  it('accepts a timestamp within the window either way, and nothing beyond it', () => {
    const now = 1_712_052_000_000
    expect(withinWindow('1712052300', 300, now)).toBe(true)
    expect(withinWindow('1712051700', 300, now)).toBe(true)
    expect(withinWindow('1712052301', 300, now)).toBe(false)
    expect(withinWindow('1712051699', 300, now)).toBe(false)
  })
})
