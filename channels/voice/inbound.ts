import type { ActivityKind, InboundActivity, Option } from '../../core/index.js'
import { MENU_KEYS } from './replies.js'

/** Which channel instance a call arrived at. */
export interface Owner {
  tenant: string
  instance: string
}

/** A `<Gather>` action request: what the caller said or pressed at one step of the call. */
export interface GatherRequest {
  /** The utterance's number in the call (the action URL's `n`). */
  step: number
  params: Record<string, string>
  /** The options of the menu the caller was offered, when the keypad (or saying one) answers it. */
  menu?: readonly Option[]
}

export interface Listening {
  /** BCP-47; becomes the activity's locale. */
  language: string
  /** Recognition below this confidence is asked again. */
  lowConfidence: number
}

export type Utterance =
  /** `conversation.id` is the CallSid until the call is linked to a stored conversation. */
  | { kind: 'said'; activity: InboundActivity }
  | { kind: 'silence' }
  | { kind: 'unclear'; confidence: number }

/**
 * Pure: a Gather result → what the caller did. A redelivered request decodes to the same activity
 * id (`CallSid:step`), which the inbox deduplicates.
 */
export function decodeGather(request: GatherRequest, owner: Owner, listening: Listening, now: Date = new Date()): Utterance {
  const { params, menu } = request
  const digits = params.Digits?.trim() ?? ''
  if (digits) {
    const chosen = /^[1-9]$/.test(digits) && menu ? menu.slice(0, MENU_KEYS)[Number(digits) - 1] : undefined
    return said(request, owner, listening, now, chosen ? { kind: 'postback', text: chosen.value } : { kind: 'message', text: digits }, { dtmf: digits })
  }
  const speech = params.SpeechResult ?? ''
  if (!speech.trim()) return { kind: 'silence' }
  const confidence = confidenceOf(params.Confidence)
  if (confidence !== undefined && confidence < listening.lowConfidence) return { kind: 'unclear', confidence }
  const chosen = menu?.find((option) => sameWords(option.title, speech))
  return said(request, owner, listening, now, chosen ? { kind: 'postback', text: chosen.value } : { kind: 'message', text: speech }, confidence === undefined ? {} : { confidence })
}

/** Pure, for recorded requests (`{ step, params, menu? }`): the activity, or undefined when nothing is answered. */
export function normalise(raw: unknown, owner: Owner, listening: Listening = { language: 'en-US', lowConfidence: 0.4 }): InboundActivity | undefined {
  if (!raw || typeof raw !== 'object') return undefined
  const { step, params, menu } = raw as Partial<GatherRequest>
  if (typeof step !== 'number' || !params || typeof params.CallSid !== 'string' || typeof params.From !== 'string') return undefined
  const decoded = decodeGather({ step, params, ...(menu ? { menu } : {}) }, owner, listening, new Date(0))
  return decoded.kind === 'said' ? decoded.activity : undefined
}

function said(
  request: GatherRequest,
  owner: Owner,
  listening: Listening,
  at: Date,
  content: { kind: ActivityKind; text: string },
  voice: NonNullable<InboundActivity['voice']>,
): Utterance {
  const { params } = request
  const callSid = params.CallSid!
  const channel = 'voice'
  const name = params.CallerName?.trim()
  return {
    kind: 'said',
    activity: {
      id: `${callSid}:${request.step}`,
      tenant: owner.tenant,
      channel,
      instance: owner.instance,
      conversation: { id: callSid, tenant: owner.tenant, channel, instance: owner.instance, externalId: callSid },
      from: { id: params.From!, role: 'user', ...(name ? { name } : {}) },
      at,
      kind: content.kind,
      text: content.text,
      parts: [{ type: 'text', text: content.text }],
      locale: listening.language,
      voice,
      raw: params,
    },
  }
}

/** Twilio's 0.0–1.0 score; a missing or unreadable one means the recogniser did not say. */
function confidenceOf(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const score = Number(value)
  return Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : undefined
}

/** Speech matches a menu option when the words are the same, whatever the case and punctuation. */
const words = (text: string) =>
  text
    .toLocaleLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .trim()
    .split(/\s+/)
    .join(' ')
const sameWords = (title: string, speech: string) => words(title) !== '' && words(title) === words(speech)
