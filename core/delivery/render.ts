import { renderForCapabilities, splitText, type Part, type Reply } from '../message/index.js'
import type { ChannelCapabilities } from '../plugin/channel.js'

/**
 * Turns replies into the messages a channel will send: parts it cannot render become text, and a
 * text longer than its limit becomes several messages, in order, nothing dropped.
 */
export function renderReplies(replies: readonly Reply[], capabilities: ChannelCapabilities): Part[][] {
  const supported = new Set(capabilities.parts)
  const messages: Part[][] = []
  for (const reply of replies) {
    let current: Part[] = []
    for (const part of renderForCapabilities(reply.parts, supported)) {
      if (part.type === 'text' && capabilities.maxTextLength && part.text.length > capabilities.maxTextLength) {
        if (current.length > 0) messages.push(current)
        current = []
        for (const chunk of splitText(part.text, capabilities.maxTextLength)) messages.push([{ type: 'text', text: chunk }])
      } else current.push(part)
    }
    if (current.length > 0) messages.push(current)
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
