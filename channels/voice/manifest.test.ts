import { describe, expect, it } from 'vitest'
import { VoiceConfig } from './manifest.js'
import { callLanguages, menuLine, promptsFor } from './prompts.js'

const minimal = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'f'.repeat(32), publicUrl: 'https://voice.acme.example' }
const problems = (config: Record<string, unknown>) => {
  const parsed = VoiceConfig.safeParse({ ...minimal, ...config })
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('voice channel config', () => {
  it('needs only the account, its token and the public URL; the rest has safe defaults', () => {
    expect(VoiceConfig.parse(minimal)).toEqual({
      ...minimal,
      previousAuthTokens: [],
      lowConfidence: 0.4,
      maxLowConfidence: 2,
      maxNoInput: 3,
      answerWithinMs: 8000,
      maxRedirects: 3,
      hints: [],
      maxBodyBytes: 65_536,
    })
    expect(problems({ publicUrl: undefined })).toEqual(['publicUrl: Invalid input: expected string, received undefined'])
  })

  it.each([
    ['an account SID that is not one', { accountSid: 'AC123' }, 'accountSid: an account SID is AC followed by 32 hexadecimal digits'],
    ['the account SID pasted as the token', { authToken: `AC${'0'.repeat(32)}` }, 'authToken: a Twilio auth token is 32 hexadecimal digits'],
    ['a public URL that is not http(s)', { publicUrl: 'ftp://voice.acme.example' }, 'publicUrl: Invalid URL'],
    ['a wait Twilio would time out on', { answerWithinMs: 15_000 }, 'answerWithinMs: Too big: expected number to be <=12000'],
    ['a handoff with two targets', { handoff: { number: '+14155550100', queue: 'support' } }, 'handoff: set exactly one of number, queue or sip'],
    ['a handoff with none', { handoff: { callerId: '+14155550100' } }, 'handoff: set exactly one of number, queue or sip'],
    ['a number not in E.164', { handoff: { number: '0415 555 0100' } }, 'handoff.number: a phone number in E.164 form, e.g. +14155550100'],
    ['a SIP target that is not a SIP URI', { handoff: { sip: 'pbx.acme.example' } }, 'handoff.sip: a SIP URI, e.g. sip:support@pbx.example.com'],
    ['an empty greeting', { greeting: '  ' }, 'greeting: Too small: expected string to have >=1 characters'],
    ['an unknown key', { colour: 'blue' }, ': Unrecognized key: "colour"'],
  ])('refuses %s', (_name, config, problem) => {
    expect(problems(config)).toContain(problem)
  })

  it('takes a handoff to a number, a queue or a SIP address', () => {
    for (const handoff of [{ number: '+14155550100', callerId: '+18005550100' }, { queue: 'support' }, { sip: 'sip:support@pbx.acme.example' }]) expect(problems({ handoff })).toEqual([])
    expect(VoiceConfig.parse({ ...minimal, handoff: { queue: 'support' } }).handoff).toEqual({ queue: 'support', timeoutSeconds: 30 })
  })
})

describe('the call’s language and prompts', () => {
  it('takes the configured language, else the tenant’s locale with a region, else en-US', () => {
    expect(callLanguages({ language: 'en-GB' }, 'zh')).toEqual({ say: 'en-GB', listen: 'en-GB' })
    expect(callLanguages({}, 'en')).toEqual({ say: 'en-US', listen: 'en-US' })
    expect(callLanguages({}, 'de-AT')).toEqual({ say: 'de-AT', listen: 'de-AT' })
    expect(callLanguages({}, 'tlh')).toEqual({ say: 'en-US', listen: 'en-US' })
  })

  it('listens for Mandarin under the name Twilio’s recogniser uses, unless told otherwise', () => {
    expect(callLanguages({}, 'zh')).toEqual({ say: 'zh-CN', listen: 'cmn-Hans-CN' })
    expect(callLanguages({ language: 'zh-CN', speechLanguage: 'zh' }, 'en')).toEqual({ say: 'zh-CN', listen: 'zh' })
  })

  it('speaks its own prompts in the call’s language, any configured one instead', () => {
    expect(promptsFor({}, 'zh-CN').filler).toBe('请稍等。')
    expect(promptsFor({}, 'fr-FR').filler).toBe('One moment please.')
    const prompts = promptsFor({ filler: 'Un instant.', greeting: 'Bonjour !' }, 'fr-FR')
    expect([prompts.filler, prompts.greeting, prompts.goodbye]).toEqual(['Un instant.', 'Bonjour !', 'Thank you for calling. Goodbye.'])
    expect(menuLine(prompts.menuOption, 'Refund', 2)).toBe('For Refund, press 2.')
    expect(menuLine(promptsFor({}, 'zh-CN').menuOption, '退款', 2)).toBe('退款请按2。')
  })
})
