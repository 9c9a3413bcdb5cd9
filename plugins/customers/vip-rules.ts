import type { VipRule } from './manifest.js'

/** What a VIP rule can look at. */
export interface VipSubject {
  channel: string
  instance: string
  userId: string
  tags: readonly string[]
}

/** Pure: the highest level among the rules that match, 0 when none does. */
export function vipLevelByRules(rules: readonly VipRule[], subject: VipSubject): number {
  let level = 0
  for (const rule of rules) if (rule.level > level && matches(rule, subject)) level = rule.level
  return level
}

function matches({ when }: VipRule, subject: VipSubject): boolean {
  if (when.channel !== undefined && when.channel !== subject.channel) return false
  if (when.instance !== undefined && when.instance !== subject.instance) return false
  if (when.userIds !== undefined && !when.userIds.includes(subject.userId)) return false
  if (when.userIdPattern !== undefined && !new RegExp(when.userIdPattern, 'u').test(subject.userId)) return false
  if (when.tags !== undefined && !when.tags.some((tag) => subject.tags.includes(tag))) return false
  return true
}
