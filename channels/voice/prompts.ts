/** What the channel itself says on a call, as opposed to what the bot answers. */
export interface Prompts {
  greeting: string
  reprompt: string
  filler: string
  noInputPrompt: string
  delayed: string
  transferring: string
  transferFailed: string
  noTransfer: string
  apology: string
  failure: string
  goodbye: string
  menuOption: string
}

const english: Prompts = {
  greeting: 'Hello! How can I help you today?',
  reprompt: "Sorry, I didn't catch that. Could you say it again?",
  filler: 'One moment please.',
  noInputPrompt: 'Are you still there? How can I help?',
  delayed: 'Sorry, this is taking longer than expected.',
  transferring: 'Let me connect you with a colleague.',
  transferFailed: 'Sorry, nobody could take your call right now. Is there anything else I can help with?',
  noTransfer: "I'm sorry, I can't connect you to a person right now. Please try saying that again.",
  apology: 'Sorry, something went wrong on our side. Could you say that again?',
  failure: 'Sorry, something went wrong on our side. Please call us again later.',
  goodbye: 'Thank you for calling. Goodbye.',
  menuOption: 'For {title}, press {key}.',
}

const chinese: Prompts = {
  greeting: '您好！请问有什么可以帮您？',
  reprompt: '抱歉，我没有听清楚。请您再说一遍好吗？',
  filler: '请稍等。',
  noInputPrompt: '您还在吗？请问有什么可以帮您？',
  delayed: '抱歉，处理时间比预期长。',
  transferring: '我为您转接人工客服。',
  transferFailed: '抱歉，现在没有客服可以接听。还有什么可以帮您的吗？',
  noTransfer: '抱歉，现在无法为您转接人工客服。请您再说一遍。',
  apology: '抱歉，我们这边出了点问题。请您再说一遍好吗？',
  failure: '抱歉，我们这边出了点问题。请稍后再拨。',
  goodbye: '感谢您的来电，再见。',
  menuOption: '{title}请按{key}。',
}

const defaults: Record<string, Prompts> = { en: english, zh: chinese }

/** Regions a bare tenant locale gets, for the recogniser and the voice (they need one). */
const regions: Record<string, string> = { en: 'en-US', zh: 'zh-CN', de: 'de-DE', fr: 'fr-FR', es: 'es-ES', it: 'it-IT', ja: 'ja-JP', pt: 'pt-BR', nl: 'nl-NL' }
/** Where Twilio's recogniser names a language differently from its voices. */
const recognisers: Record<string, string> = { 'zh-CN': 'cmn-Hans-CN' }

export interface CallLanguages {
  /** `<Say language>`, and the locale of what the caller says. */
  say: string
  /** `<Gather language>`. */
  listen: string
}

/** The call's languages: configured, or from the tenant's locale (with a region), or en-US. */
export function callLanguages(configured: { language?: string; speechLanguage?: string }, tenantLocale: string): CallLanguages {
  const say = configured.language ?? (tenantLocale.includes('-') ? tenantLocale : (regions[tenantLocale.toLowerCase()] ?? 'en-US'))
  return { say, listen: configured.speechLanguage ?? recognisers[say] ?? say }
}

/** The configured prompts, the rest in the call's language (English when there are none in it). */
export function promptsFor(config: Partial<Prompts>, language: string): Prompts {
  const base = defaults[language.slice(0, 2).toLowerCase()] ?? english
  const chosen = { ...base }
  for (const key of Object.keys(base) as (keyof Prompts)[]) {
    const value = config[key]
    if (value !== undefined) chosen[key] = value
  }
  return chosen
}

/** One menu line: "For Refund, press 2." */
export const menuLine = (template: string, title: string, key: number): string => template.replaceAll('{title}', title).replaceAll('{key}', String(key))
