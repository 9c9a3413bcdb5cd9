import { describe, expect, it } from 'vitest'
import { InboundActivity } from '../../core/index.js'
import { fixture, fixtures } from './fixtures/index.js'
import { decodeGather, normalise, type GatherRequest } from './inbound.js'

const owner = { tenant: 'contract', instance: 'chan' }
const listening = { language: 'en-US', lowConfidence: 0.4 }
const params = (extra: Record<string, string>) => ({ CallSid: 'CA1', From: '+14155550123', To: '+18005550100', AccountSid: 'AC1', ...extra })
const decode = (request: GatherRequest) => decodeGather(request, owner, listening, new Date(0))

describe('inbound normalisation of recorded Gather requests', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, { raw, expected }) => {
    const activity = normalise(raw, owner)
    if (expected === null) return expect(activity).toBeUndefined()
    expect(activity).toMatchObject(expected)
    // Whatever it decodes passes the gateway's own schema and keeps every posted parameter.
    expect(() => InboundActivity.parse(activity)).not.toThrow()
    expect(activity!.raw).toEqual((raw as GatherRequest).params)
  })

  it('names an utterance by its call and step, so a redelivered request is the same message', () => {
    const raw = fixture('speech').raw as GatherRequest
    expect(normalise(raw, owner)!.id).toBe(normalise(structuredClone(raw), owner)!.id)
    expect(normalise({ ...raw, step: 2 }, owner)!.id).not.toBe(normalise(raw, owner)!.id)
    expect(normalise(raw, owner)!.conversation).toMatchObject({ id: raw.params.CallSid, externalId: raw.params.CallSid })
  })

  it('ignores what is not a Gather request rather than guessing', () => {
    for (const raw of [null, 'CallSid=CA1', { params: params({ SpeechResult: 'hi' }) }, { step: 1 }, { step: 1, params: { SpeechResult: 'hi' } }]) expect(normalise(raw, owner)).toBeUndefined()
  })
})

describe('what the caller did at a Gather', () => {
  it.each([
    ['nothing at all', {}, { kind: 'silence' }],
    ['only whitespace recognised', { SpeechResult: '  ' }, { kind: 'silence' }],
    ['speech below the threshold', { SpeechResult: 'uh', Confidence: '0.39' }, { kind: 'unclear', confidence: 0.39 }],
    ['speech exactly at the threshold', { SpeechResult: 'yes', Confidence: '0.4' }, { kind: 'said' }],
    ['a confidence out of range, clamped', { SpeechResult: 'yes', Confidence: '7' }, { kind: 'said' }],
    ['an unreadable confidence, taken as no score', { SpeechResult: 'yes', Confidence: 'high' }, { kind: 'said' }],
    ['keys and speech together: the keys win', { SpeechResult: 'one', Confidence: '0.1', Digits: '1' }, { kind: 'said' }],
  ] as const)('%s', (_name, extra, expected) => {
    expect(decode({ step: 1, params: params(extra) })).toMatchObject(expected)
  })

  it('keeps the score and the keys a plugin may want', () => {
    const said = decode({ step: 1, params: params({ SpeechResult: 'yes', Confidence: '7' }) })
    expect(said.kind === 'said' && said.activity.voice).toEqual({ confidence: 1 })
    const pressed = decode({ step: 1, params: params({ Digits: '0#' }) })
    expect(pressed.kind === 'said' && pressed.activity).toMatchObject({ kind: 'message', text: '0#', voice: { dtmf: '0#' } })
  })

  it('answers a menu by key 1–9 only; the tenth option onwards is chosen by saying it', () => {
    const menu = Array.from({ length: 11 }, (_, i) => ({ title: `Option ${i + 1}`, value: `v${i + 1}` }))
    const pick = (extra: Record<string, string>) => {
      const result = decode({ step: 1, params: params(extra), menu })
      return result.kind === 'said' ? [result.activity.kind, result.activity.text] : result.kind
    }
    expect(pick({ Digits: '9' })).toEqual(['postback', 'v9'])
    expect(pick({ Digits: '10' })).toEqual(['message', '10'])
    expect(pick({ Digits: '0' })).toEqual(['message', '0'])
    expect(pick({ SpeechResult: 'option 11!', Confidence: '0.9' })).toEqual(['postback', 'v11'])
    expect(pick({ SpeechResult: 'option eleven', Confidence: '0.9' })).toEqual(['message', 'option eleven'])
  })
})
