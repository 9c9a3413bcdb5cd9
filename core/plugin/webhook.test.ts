import { describe, expect, it } from 'vitest'
import { isSwitchboardError } from '../errors.js'
import { parseWebhookJson, sameSecret } from './webhook.js'

const parse = (text: string) => parseWebhookJson(Buffer.from(text))
const refusal = (text: string) => {
  try {
    parse(text)
  } catch (error) {
    return isSwitchboardError(error) ? `${error.status} ${error.message}` : String(error)
  }
  return 'accepted'
}

describe('a webhook body', () => {
  it('is parsed as JSON, with large ids kept as the platform sent them when they fit', () => {
    expect(parse('{"update_id":10000,"message":{"chat":{"id":-1001234567890123}}}')).toEqual({ update_id: 10000, message: { chat: { id: -1001234567890123 } } })
  })

  it('is refused with 400 and a reason when it is empty, truncated, trailing garbage or NaN', () => {
    expect(refusal('')).toMatch(/^400 the body is empty/)
    expect(refusal('{"update_id": 1')).toMatch(/^400 the body is not valid JSON/)
    expect(refusal('{"a":1} trailing')).toMatch(/^400 the body is not valid JSON/)
    expect(refusal('{"a":NaN}')).toMatch(/^400 the body is not valid JSON/)
  })

  it('is refused when nested deeper than any platform sends, before anything walks it', () => {
    expect(refusal(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toBe('400 the body nests 10000 levels deep; the limit is 64')
    // Brackets inside strings are text, not nesting.
    expect(parse(JSON.stringify({ text: '['.repeat(500) }))).toEqual({ text: '['.repeat(500) })
  })

  it('comes out storable: NUL and lone surrogates become U+FFFD, everything else exactly as sent', () => {
    const body = '{"text":"a\\u0000b\\ud800c \\ud83d\\ude00 👩‍👩‍👧 \\u202e e\\u0301","k\\ud800":1,"__proto__":{"x":1}}'
    const value = parse(body) as Record<string, unknown>
    expect(value.text).toBe('a\uFFFDb\uFFFDc 😀 👩‍👩‍👧 \u202e e\u0301')
    expect(Object.keys(value)).toEqual(['text', 'k\uFFFD', '__proto__'])
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  })
})

describe('a presented secret', () => {
  it('matches only the exact expected value', () => {
    expect(sameSecret('s3cret_-token', 's3cret_-token')).toBe(true)
    for (const wrong of [undefined, '', 'S3cret_-token', 's3cret_-toke', 's3cret_-tokenn', 's3cret_-tokeN']) expect(sameSecret(wrong, 's3cret_-token')).toBe(false)
  })
})
