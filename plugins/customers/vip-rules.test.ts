import { describe, expect, it } from 'vitest'
import { CustomersConfig } from './manifest.js'
import { vipLevelByRules } from './vip-rules.js'

const { vip } = CustomersConfig.parse({
  vip: {
    rules: [
      { level: 1, when: { tags: ['gold', 'member'] } },
      { level: 2, when: { channel: 'teams' } },
      { level: 3, when: { instance: 'tg-partners', userIdPattern: '^9\\d+$' } },
      { level: 5, when: { userIds: ['ceo@acme.example'] } },
    ],
  },
})
const subject = (over: Partial<Parameters<typeof vipLevelByRules>[1]> = {}) => ({ channel: 'telegram', instance: 'tg', userId: '12345', tags: [], ...over })

describe('VIP levels from the tenant’s rules', () => {
  it('gives the highest level among the rules that match, 0 when none does', () => {
    expect(vipLevelByRules(vip.rules, subject())).toBe(0)
    expect(vipLevelByRules(vip.rules, subject({ tags: ['member'] }))).toBe(1)
    expect(vipLevelByRules(vip.rules, subject({ channel: 'teams', tags: ['gold'] }))).toBe(2)
    expect(vipLevelByRules(vip.rules, subject({ channel: 'teams', userId: 'ceo@acme.example' }))).toBe(5)
  })

  it('needs every condition of a rule to hold', () => {
    expect(vipLevelByRules(vip.rules, subject({ instance: 'tg-partners', userId: '9001' }))).toBe(3)
    expect(vipLevelByRules(vip.rules, subject({ instance: 'tg-partners', userId: '1001' }))).toBe(0)
    expect(vipLevelByRules(vip.rules, subject({ instance: 'tg', userId: '9001' }))).toBe(0)
  })

  it('refuses a rule without conditions and a pattern that is not a regular expression', () => {
    expect(CustomersConfig.safeParse({ vip: { rules: [{ level: 1, when: {} }] } }).error?.issues[0]?.message).toBe('a rule needs at least one condition')
    expect(CustomersConfig.safeParse({ vip: { rules: [{ level: 1, when: { userIdPattern: '(' } }] } }).error?.issues[0]?.message).toBe('not a valid regular expression')
    expect(CustomersConfig.safeParse({ vip: { rules: [{ level: 10, when: { tags: ['x'] } }] } }).success).toBe(false)
  })
})
