import twilio from 'twilio'
import { describe, expect, it } from 'vitest'
import { gatherResult, readTwiml } from './twilio-twiml.js'

const XML = 'text/xml; charset=utf-8'

describe('reading a webhook answer as TwiML', () => {
  it('runs what twilio.twiml.VoiceResponse builds, entities decoded', () => {
    const response = new twilio.twiml.VoiceResponse()
    const gather = response.gather({ input: ['speech', 'dtmf'], action: '/voice/turn?conv=CA1&seq=1', language: 'en-GB', actionOnEmptyResult: true })
    gather.say({ voice: 'Polly.Joanna' }, 'Tom & Jerry <3 "quotes"')
    response.redirect({ method: 'GET' }, '/voice/noinput?a=1&b=2')
    const dial = response.dial({ action: '/voice/dial-status', callerId: '+18005551212' })
    dial.number('+14155550100')
    dial.sip('sip:agent@cc.example.com')
    response.enqueue({ action: '/voice/queue' }, 'support')
    response.pause({ length: 2 })
    response.play({ loop: 2 }, 'https://cdn.example.com/hold.mp3')
    response.hangup()

    expect(readTwiml(XML, response.toString())).toEqual({
      verbs: [
        {
          verb: 'Gather',
          attributes: { input: 'speech dtmf', action: '/voice/turn?conv=CA1&seq=1', language: 'en-GB', actionOnEmptyResult: 'true' },
          prompts: [{ verb: 'Say', text: 'Tom & Jerry <3 "quotes"', voice: 'Polly.Joanna', language: undefined, loop: 1 }],
        },
        { verb: 'Redirect', url: '/voice/noinput?a=1&b=2', method: 'GET' },
        {
          verb: 'Dial',
          attributes: { action: '/voice/dial-status', callerId: '+18005551212' },
          nouns: [
            { kind: 'number', target: '+14155550100', attributes: {} },
            { kind: 'sip', target: 'sip:agent@cc.example.com', attributes: {} },
          ],
        },
        { verb: 'Enqueue', queue: 'support', attributes: { action: '/voice/queue' } },
        { verb: 'Pause', seconds: 2 },
        { verb: 'Play', url: 'https://cdn.example.com/hold.mp3', loop: 2 },
        { verb: 'Hangup' },
      ],
    })
  })

  it('takes a bare number in <Dial>, character references, comments and an empty <Response/>', () => {
    expect(readTwiml('application/xml', '<Response><!-- transfer --><Dial>+1415&#53;55</Dial><Say>caf&#xE9;</Say></Response>')).toEqual({
      verbs: [
        { verb: 'Dial', attributes: {}, nouns: [{ kind: 'number', target: '+1415555', attributes: {} }] },
        { verb: 'Say', text: 'café', voice: undefined, language: undefined, loop: 1 },
      ],
    })
    expect(readTwiml('text/html', '<?xml version="1.0"?><Response/>')).toEqual({ verbs: [] })
  })

  it.each([
    ['plain text', 12300, 'text/plain', 'Hello'],
    ['JSON', 12300, 'application/json', '{"say":"hi"}'],
    ['no content type', 12300, undefined, '<Response/>'],
    ['an HTML error page', 12102, 'text/html', '<html><body>Internal error</body></html>'],
    ['unclosed tags', 12100, XML, '<Response><Say>hi</Response>'],
    ['text that is not XML', 12100, XML, 'OK'],
    ['a DOCTYPE (XXE)', 12100, XML, '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Response><Say>&x;</Say></Response>'],
    ['an unknown verb', 12100, XML, '<Response><Shout>hi</Shout></Response>'],
    ['a Dial inside a Gather', 12100, XML, '<Response><Gather><Dial>+1</Dial></Gather></Response>'],
    ['a Redirect without URL', 12100, XML, '<Response><Redirect/></Response>'],
    ['a method Twilio does not use', 12100, XML, '<Response><Redirect method="PUT">/x</Redirect></Response>'],
    ['text outside any verb', 12100, XML, '<Response>hello<Hangup/></Response>'],
    ['an answer over 64 kB', 11750, XML, `<Response><Say>${'a'.repeat(70_000)}</Say></Response>`],
  ])('refuses %s: error %i', (_name, code, contentType, body) => {
    const read = readTwiml(contentType, body)
    expect('error' in read && read.error.code).toBe(code)
  })
})

describe('what a <Gather> posts for what the caller did', () => {
  it.each([
    ['speech into a speech Gather', { speech: 'where is my order', confidence: 0.81 }, { input: 'speech dtmf' }, { SpeechResult: 'where is my order', Confidence: '0.81' }],
    ['speech with the default confidence', { speech: 'hello' }, { input: 'speech' }, { SpeechResult: 'hello', Confidence: '0.92' }],
    ['speech into a DTMF-only Gather (the default input)', { speech: 'hello' }, {}, undefined],
    ['keys ended by the finish key', { digits: '12#9' }, {}, { Digits: '12', FinishedOnKey: '#' }],
    ['keys up to numDigits', { digits: '12345' }, { numDigits: '3' }, { Digits: '123', FinishedOnKey: '' }],
    ['keys with another finish key', { digits: '42*' }, { finishOnKey: '*' }, { Digits: '42', FinishedOnKey: '*' }],
    ['keys with no finish key at all', { digits: '4#2' }, { finishOnKey: '' }, { Digits: '4#2', FinishedOnKey: '' }],
    ['only the finish key', { digits: '#' }, {}, undefined],
    ['keys into a speech-only Gather', { digits: '1' }, { input: 'speech' }, undefined],
    ['silence', { silence: true as const }, { input: 'speech dtmf' }, undefined],
    ['blank speech', { speech: '  ' }, { input: 'speech' }, undefined],
  ])('%s', (_name, given, attributes: Record<string, string>, expected) => {
    expect(gatherResult(given, attributes)).toEqual(expected)
  })
})
