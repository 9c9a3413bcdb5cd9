import type { PartOf } from '../../core/index.js'
import { ADAPTIVE_CARD, POSTBACK_KEY } from './inbound.js'

/** The Adaptive Card schema version Teams renders everywhere (desktop, web, mobile). */
export const CARD_VERSION = '1.5'
/** Teams' host config shows at most this many card-level actions; more options become a choice set. */
export const MAX_ACTIONS = 6

type CardElement = Record<string, unknown>

export interface AdaptiveCardAttachment {
  [key: string]: unknown
  contentType: typeof ADAPTIVE_CARD
  content: { type: 'AdaptiveCard'; version: string; body: CardElement[]; actions?: CardElement[] }
}

const attachment = (body: CardElement[], actions: CardElement[]): AdaptiveCardAttachment => ({
  contentType: ADAPTIVE_CARD,
  content: {
    type: 'AdaptiveCard',
    version: CARD_VERSION,
    body,
    ...(actions.length > 0 ? { actions } : {}),
  },
})

const textBlock = (text: string, emphasis = false): CardElement => ({ type: 'TextBlock', text, wrap: true, ...(emphasis ? { weight: 'Bolder', size: 'Medium' } : {}) })

/**
 * Action.Submit posts its data back as a message's `value` (inbound reads it as a postback of
 * the option value); inputs merge into the same data under their id.
 */
const submit = (title: string, value: string): CardElement => ({ type: 'Action.Submit', title, data: { [POSTBACK_KEY]: value } })

/** Links Teams will open; anything else is shown rather than turned into a broken button. */
const openable = (value: string) => /^(https?:\/\/|mailto:|tel:)/i.test(value) && URL.canParse(value)

/** A card part: title, body, and buttons (postback → Action.Submit, url → Action.OpenUrl). */
export function cardAttachment(part: PartOf<'card'>): AdaptiveCardAttachment {
  const body = [textBlock(part.title, true), ...(part.body ? [textBlock(part.body)] : [])]
  const actions: CardElement[] = []
  for (const action of part.actions) {
    if (action.type === 'url' && !openable(action.value)) body.push(textBlock(`${action.title}: ${action.value}`))
    else if (action.type === 'url') actions.push({ type: 'Action.OpenUrl', title: action.title, url: action.value })
    else actions.push(submit(action.title, action.value))
  }
  if (actions.length <= MAX_ACTIONS) return attachment(body, actions)
  // Beyond what Teams shows, buttons go into the body in rows it can lay out.
  return attachment([...body, ...chunk(actions, MAX_ACTIONS).map((row) => ({ type: 'ActionSet', actions: row }))], [])
}

/**
 * A choice part: the question and one button per option; with more options than Teams shows as
 * buttons, a drop-down whose choice is submitted under the same key.
 */
export function choiceAttachment(part: PartOf<'choice'>, submitTitle = 'OK'): AdaptiveCardAttachment {
  const question = textBlock(part.text)
  if (part.options.length <= MAX_ACTIONS)
    return attachment(
      [question],
      part.options.map((o) => submit(o.title, o.value)),
    )
  const choices = { type: 'Input.ChoiceSet', id: POSTBACK_KEY, style: 'compact', isRequired: true, choices: part.options.map((o) => ({ title: o.title, value: o.value })) }
  return attachment([question, choices], [{ type: 'Action.Submit', title: submitTitle }])
}

/** A file part: Teams bots cannot attach a file by URL outside 1:1 consent flows, so it is a link card. */
export function fileAttachment(part: PartOf<'file'>): AdaptiveCardAttachment {
  const name = part.name ?? decodeURIComponent(new URL(part.url).pathname.split('/').pop() || part.url)
  return attachment([textBlock(`📎 ${name}`)], [{ type: 'Action.OpenUrl', title: 'Open', url: part.url }])
}

/** An image part: Teams shows a public https image inline from its URL. */
export function imageAttachment(part: PartOf<'image'>): Record<string, unknown> {
  return { contentType: part.mime ?? mimeFromName(part.name ?? part.url), contentUrl: part.url, ...(part.name ? { name: part.name } : {}) }
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp', svg: 'image/svg+xml' }

function mimeFromName(name: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(name)?.[1]?.toLowerCase()
  return (extension && IMAGE_TYPES[extension]) || 'image/png'
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const rows: T[][] = []
  for (let i = 0; i < items.length; i += size) rows.push(items.slice(i, i + size))
  return rows
}
