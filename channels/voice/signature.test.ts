import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { twilioSignature } from '../../test/fakes/twilio-signature.js'
import { parseForm } from './call-request.js'
import { signedByTwilio, type FormParams } from './signature.js'

const token = '0123456789abcdef0123456789abcdef'
const previous = 'fedcba9876543210fedcba9876543210'
const params = { AccountSid: 'AC00000000000000000000000000000000', CallSid: 'CA1234567890ABCDE', From: '+14155550123', To: '+18005550100', SpeechResult: 'refund', Confidence: '0.9' }
const check = (signedUrl: string, presentedUrl: string, options: { signedParams?: FormParams; presentedParams?: FormParams; key?: string } = {}) =>
  signedByTwilio(
    { signature: twilioSignature(options.key ?? token, signedUrl, (options.signedParams ?? params) as Record<string, string>), settings: undefined, url: presentedUrl, params: options.presentedParams ?? params },
    [token, previous],
  )

describe('X-Twilio-Signature, checked with the twilio package against the public URL', () => {
  it('accepts Twilio’s documented example', () => {
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2'
    const documented = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' }
    expect(twilioSignature('12345', url, documented)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=')
    expect(signedByTwilio({ signature: '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', settings: undefined, url, params: documented }, ['12345'])).toBe(true)
  })

  const turn = 'https://voice.acme.example/t/acme/phone/turn?after=3&n=2'
  it.each([
    ['the URL exactly as requested', turn, turn, true],
    ['Twilio signing with the default port, the proxy forwarding without', 'https://voice.acme.example:443/t/acme/phone/turn?after=3&n=2', turn, true],
    ['Twilio signing without the port, the public URL configured with it', turn, 'https://voice.acme.example:443/t/acme/phone/turn?after=3&n=2', true],
    ['http signed, https presented (a proxy’s scheme is not Twilio’s)', 'http://voice.acme.example/t/acme/phone/turn?after=3&n=2', turn, false],
    ['another port', 'https://voice.acme.example:8443/t/acme/phone/turn?after=3&n=2', turn, false],
    ['a trailing slash added', turn.replace('/turn?', '/turn/?'), turn, false],
    ['the query reordered', 'https://voice.acme.example/t/acme/phone/turn?n=2&after=3', turn, false],
    ['another step', 'https://voice.acme.example/t/acme/phone/turn?after=3&n=3', turn, false],
    ['the Host a client chose', 'https://evil.example/t/acme/phone/turn?after=3&n=2', turn, false],
  ])('%s → %s', (_name, signedUrl, presentedUrl, valid) => {
    expect(check(signedUrl, presentedUrl)).toBe(valid)
  })

  it('refuses parameters changed, added or removed after signing', () => {
    expect(check(turn, turn, { presentedParams: { ...params, SpeechResult: 'refund all' } })).toBe(false)
    expect(check(turn, turn, { presentedParams: { ...params, Digits: '0' } })).toBe(false)
    const { Confidence: _dropped, ...fewer } = params
    expect(check(turn, turn, { presentedParams: fewer })).toBe(false)
  })

  it('accepts a token kept through a rotation, and nothing signed with any other', () => {
    expect(check(turn, turn, { key: previous })).toBe(true)
    expect(check(turn, turn, { key: 'a'.repeat(32) })).toBe(false)
  })

  it('refuses a missing or malformed signature without throwing', () => {
    for (const signature of [undefined, '', 'not base64!', twilioSignature(token, turn, params).toLowerCase(), `${twilioSignature(token, turn, params)}=`]) {
      expect(signedByTwilio({ signature, settings: undefined, url: turn, params }, [token])).toBe(false)
    }
  })

  it('follows the signature settings header: HMAC-SHA256 checked as such, an unknown algorithm refused', () => {
    const signed = Object.keys(params)
      .sort()
      .reduce((s, name) => s + name + params[name as keyof typeof params], turn)
    const sha256 = createHmac('sha256', token).update(signed).digest('base64')
    expect(signedByTwilio({ signature: sha256, settings: 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256', url: turn, params }, [token])).toBe(true)
    expect(signedByTwilio({ signature: sha256, settings: undefined, url: turn, params }, [token])).toBe(false)
    expect(signedByTwilio({ signature: twilioSignature(token, turn, params), settings: 'algorithm=HMAC_MD5', url: turn, params }, [token])).toBe(false)
  })

  it('covers every value of a repeated parameter', () => {
    const form = parseForm(Buffer.from('CallSid=CA1&Tag=b&Tag=a'))
    expect(form).toEqual({ CallSid: 'CA1', Tag: ['b', 'a'] })
    const signature = twilioSignature(token, turn, { CallSid: 'CA1', Tag: ['a', 'b'] })
    expect(signedByTwilio({ signature, settings: undefined, url: turn, params: form }, [token])).toBe(true)
    expect(signedByTwilio({ signature, settings: undefined, url: turn, params: { CallSid: 'CA1', Tag: 'a' } }, [token])).toBe(false)
  })
})

describe('the form body', () => {
  it('decodes Twilio’s form encoding, keeping a field named __proto__ a field', () => {
    const form = parseForm(Buffer.from('From=%2B14155550123&SpeechResult=caf%C3%A9+au+lait&__proto__=x&Empty='))
    expect(form).toEqual({ From: '+14155550123', SpeechResult: 'café au lait', ['__proto__']: 'x', Empty: '' })
    expect(Object.getPrototypeOf(form)).toBe(Object.prototype)
  })

  it('turns bytes that are not UTF-8 into U+FFFD rather than failing', () => {
    expect(parseForm(Buffer.from('SpeechResult=%FF%FEok')).SpeechResult).toBe('\uFFFD\uFFFDok')
    expect(parseForm(Buffer.concat([Buffer.from('SpeechResult='), Buffer.from([0xc3, 0x28])])).SpeechResult).toBe('\uFFFD(')
  })
})
