import type { Part, PartType } from './parts.js'

/**
 * Text a channel shows for a part it cannot render natively. Every channel gets the same
 * fallbacks, so a card looks alike on WeChat and on the phone.
 */
export function partToText(part: Part): string {
  switch (part.type) {
    case 'text':
      return part.text
    case 'image':
    case 'audio':
    case 'video':
    case 'file':
      return part.name ? `${part.name}: ${part.url}` : part.url
    case 'card': {
      const lines = [part.title, part.body, ...part.actions.map((a, i) => `${i + 1}. ${a.title}${a.type === 'url' ? ` (${a.value})` : ''}`)]
      return lines.filter(Boolean).join('\n')
    }
    case 'choice':
      return [part.text, ...part.options.map((o, i) => `${i + 1}. ${o.title}`)].join('\n')
  }
}

/**
 * Keeps the parts a channel renders and turns the rest into text parts; adjacent text is merged
 * so a channel that only knows text sends one message, not five.
 */
export function renderForCapabilities(parts: readonly Part[], supported: ReadonlySet<PartType>): Part[] {
  const out: Part[] = []
  for (const part of parts) {
    const rendered: Part = supported.has(part.type) ? part : { type: 'text', text: partToText(part) }
    const last = out[out.length - 1]
    if (rendered.type === 'text' && last?.type === 'text') out[out.length - 1] = { type: 'text', text: `${last.text}\n\n${rendered.text}` }
    else out.push(rendered)
  }
  return out
}

/** The plain text of a reply, for transcripts, search and text-only channels. */
export const plainText = (parts: readonly Part[]): string => parts.map(partToText).join('\n\n')

const CLOSING = new Set([...'.,;:!?)]}。，、；：！？）」』》'])

/**
 * Splits text into chunks of at most `limit` UTF-16 units, preferring paragraph, then line,
 * then sentence, then word boundaries, and never cutting a surrogate pair.
 */
export function splitText(value: string, limit: number): string[] {
  if (limit < 2) throw new RangeError('limit must be at least 2')
  const chunks: string[] = []
  let rest = value
  while (rest.length > limit) {
    const window = rest.slice(0, limit)
    let cut = -1
    for (const separator of ['\n\n', '\n', '. ', '。', '! ', '? ', '！', '？', ' ']) {
      const at = window.lastIndexOf(separator)
      if (at > limit / 4) {
        cut = at + separator.length
        break
      }
    }
    if (cut <= 0) {
      cut = limit
      // Closing punctuation stays with the word before it rather than opening the next message.
      if (CLOSING.has(rest[cut]!) && cut > 1) cut -= 1
      const code = rest.charCodeAt(cut - 1)
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1
    }
    chunks.push(rest.slice(0, cut).trimEnd())
    rest = rest.slice(cut).trimStart()
  }
  if (rest.length > 0 || chunks.length === 0) chunks.push(rest)
  return chunks
}
