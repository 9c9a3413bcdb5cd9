import { renderForCapabilities, splitText, type Part, type Reply } from '../message/index.js'
import type { ChannelCapabilities, ReplyHints } from '../plugin/channel.js'

export interface RenderedMessage {
  parts: Part[]
  hints?: ReplyHints
}

/**
 * Turns replies into the messages a channel will send: parts it cannot render become text, and a
 * text longer than its limit becomes several messages, in order, nothing dropped. A reply's `speak`
 * rides on its first message and `handoff` on its last, so a split reply is spoken once and hands
 * over after everything was said.
 */
export function renderReplies(replies: readonly Reply[], capabilities: ChannelCapabilities): RenderedMessage[] {
  const supported = new Set(capabilities.parts)
  const messages: RenderedMessage[] = []
  for (const reply of replies) {
    const first = messages.length
    let current: Part[] = []
    for (const part of renderForCapabilities(reply.parts, supported)) {
      if (part.type === 'text' && capabilities.maxTextLength && part.text.length > capabilities.maxTextLength) {
        if (current.length > 0) messages.push({ parts: current })
        current = []
        for (const chunk of splitText(part.text, capabilities.maxTextLength)) messages.push({ parts: [{ type: 'text', text: chunk }] })
      } else current.push(part)
    }
    if (current.length > 0) messages.push({ parts: current })
    if (messages.length === first) continue
    const opening = messages[first]!
    const closing = messages.at(-1)!
    if (reply.speak !== undefined) opening.hints = { ...opening.hints, speak: reply.speak }
    if (reply.inputHint !== undefined) closing.hints = { ...closing.hints, inputHint: reply.inputHint }
    if (reply.handoff) closing.hints = { ...closing.hints, handoff: true }
  }
  return messages
}

const apologies: Record<string, string> = {
  en: 'Sorry, something went wrong on our side. Please try again in a moment, or ask for a human agent.',
  zh: '抱歉，我们这边出了点问题。请稍后再试，或输入"人工"联系人工客服。',
}

/** What a user hears when the pipeline failed: never silence, never a stack trace. */
export const apologyReply = (locale: string | undefined): Reply => ({
  parts: [{ type: 'text', text: apologies[locale?.slice(0, 2) ?? 'en'] ?? apologies.en! }],
})
