import { describe, expect, it } from 'vitest'
import { readTwiml, type Verb } from '../../test/fakes/twilio-twiml.js'
import { Handoff } from './manifest.js'
import { farewell, holdOn, listen, nothing, speakable, transfer, type CallVoice } from './twiml.js'

const voice: CallVoice = { language: 'en-US', listenLanguage: 'en-US', voice: 'Polly.Joanna', hints: 'order status, refund' }
const action = 'https://voice.acme.example/t/acme/phone/turn?after=3&n=2'
/** The document as Twilio reads it. */
const verbs = (twiml: string): Verb[] => {
  const read = readTwiml('text/xml', twiml)
  if ('error' in read) throw new Error(read.error.message)
  return read.verbs
}
const said = (text: string, language = 'en-US') => ({ verb: 'Say', text, voice: 'Polly.Joanna', language, loop: 1 })

describe('TwiML the caller hears', () => {
  it('listens for speech or keys after saying the lines, inside the Gather so the caller can interrupt', () => {
    expect(verbs(listen(voice, ['Your order shipped today.', 'Anything else?'], action))).toEqual([
      {
        verb: 'Gather',
        attributes: { input: 'speech dtmf', action, method: 'POST', language: 'en-US', speechTimeout: 'auto', actionOnEmptyResult: 'true', hints: 'order status, refund' },
        prompts: [said('Your order shipped today.'), said('Anything else?')],
      },
      // Only reached by a Twilio that does not post an empty result: the same action, with no input.
      { verb: 'Redirect', url: action, method: 'POST' },
    ])
  })

  it('makes a menu a one-key Gather that still hears speech', () => {
    const [gather] = verbs(listen(voice, ['How can we help? For Refund, press 1.'], `${action}&menu=4`, { menu: true }))
    expect(gather).toMatchObject({ verb: 'Gather', attributes: { input: 'dtmf speech', numDigits: '1', action: `${action}&menu=4` } })
  })

  it('recognises in the language Twilio’s recogniser names, and speaks in the voice’s', () => {
    const mandarin = { language: 'zh-CN', listenLanguage: 'cmn-Hans-CN' }
    const [gather] = verbs(listen(mandarin, ['请问有什么可以帮您？'], action))
    expect(gather).toMatchObject({ attributes: { language: 'cmn-Hans-CN' }, prompts: [{ verb: 'Say', text: '请问有什么可以帮您？', language: 'zh-CN' }] })
    expect((gather as { attributes: Record<string, string> }).attributes).not.toHaveProperty('hints')
  })

  it('says a filler and comes back for the answer', () => {
    const pickup = 'https://voice.acme.example/t/acme/phone/pickup?after=3&n=2&turn=t_abc&try=1'
    expect(verbs(holdOn(voice, 'One moment please.', pickup))).toEqual([said('One moment please.'), { verb: 'Redirect', url: pickup, method: 'POST' }])
  })

  it.each([
    ['a number', { number: '+14155550100', callerId: '+18005550100', timeoutSeconds: 20 }, { verb: 'Dial', nouns: [{ kind: 'number', target: '+14155550100', attributes: {} }], attributes: { callerId: '+18005550100', timeout: '20' } }],
    ['a SIP address', { sip: 'sip:support@pbx.acme.example' }, { verb: 'Dial', nouns: [{ kind: 'sip', target: 'sip:support@pbx.acme.example', attributes: {} }], attributes: { timeout: '30' } }],
    ['a queue, which the caller joins', { queue: 'support' }, { verb: 'Enqueue', queue: 'support' }],
  ] as const)('hands over to %s and has Twilio report how it went', (_name, target, expected) => {
    const dialAction = 'https://voice.acme.example/t/acme/phone/dial?after=5&n=3'
    const [say, handover, ...rest] = verbs(transfer(voice, ['Connecting you now.'], Handoff.parse(target), dialAction))
    expect(say).toEqual(said('Connecting you now.'))
    expect(handover).toMatchObject({ ...expected, attributes: { ...('attributes' in expected ? expected.attributes : {}), action: dialAction, method: 'POST' } })
    expect(rest).toEqual([])
  })

  it('hangs up after the last words, and answers a status callback with an empty document', () => {
    expect(verbs(farewell(voice, ['Thank you for calling. Goodbye.']))).toEqual([said('Thank you for calling. Goodbye.'), { verb: 'Hangup' }])
    expect(verbs(nothing())).toEqual([])
  })

  it('escapes what it says, and drops characters XML cannot carry instead of failing the call', () => {
    const twiml = listen(voice, ['<Hangup/> & "quotes"', 'bell\u0007 and a lone \ud800 surrogate', '\u0000', '  '], action)
    expect(twiml).not.toContain('<Hangup/>')
    const [gather] = verbs(twiml)
    expect((gather as { prompts: unknown[] }).prompts).toEqual([said('<Hangup/> & "quotes"'), said('bell  and a lone \uFFFD surrogate')])
    expect(speakable(' 👩‍👩‍👧 e\u0301 ')).toBe('👩‍👩‍👧 e\u0301')
  })

  it('splits a line longer than one Say can take, on sentence boundaries, nothing lost', () => {
    const sentence = 'This sentence is part of a very long answer. '
    const long = sentence.repeat(200).trim()
    const [gather] = verbs(listen(voice, [long], action))
    const prompts = (gather as { prompts: { text: string }[] }).prompts
    expect(prompts.length).toBeGreaterThan(2)
    for (const prompt of prompts) expect(prompt.text.length).toBeLessThanOrEqual(4096)
    expect(prompts.map((p) => p.text).join(' ')).toBe(long)
  })
})
