import { partToText, splitText, type Part } from '../../core/index.js'
import { cardAttachment, choiceAttachment, fileAttachment, imageAttachment } from './cards.js'

export type OutgoingActivity = Record<string, unknown> & { type: 'message' | 'typing' }

/** Teams measures an activity as UTF-16: two bytes per code unit of its JSON. */
export const activityBytes = (activity: Record<string, unknown>): number => JSON.stringify(activity).length * 2

/**
 * Pure: one outbox message → the activities that carry it, in order. Text and each attachment go
 * as separate activities (Teams splits a text+attachment activity in two and returns no id for
 * either). Nothing exceeds `maxMessageBytes`: a card that would is sent as its text fallback, and
 * a text that would is split further.
 */
export function renderActivities(parts: readonly Part[], maxMessageBytes: number): OutgoingActivity[] {
  const activities: OutgoingActivity[] = []
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        activities.push(...textActivities(part.text, maxMessageBytes))
        break
      case 'image':
        activities.push(fitting(withAttachment(imageAttachment(part)), part, maxMessageBytes))
        break
      case 'file':
        activities.push(...orText(withAttachment(fileAttachment(part)), part, maxMessageBytes))
        break
      case 'card':
        activities.push(...orText(withAttachment(cardAttachment(part)), part, maxMessageBytes))
        break
      case 'choice':
        activities.push(...orText(withAttachment(choiceAttachment(part)), part, maxMessageBytes))
        break
      default:
        activities.push(...textActivities(partToText(part), maxMessageBytes))
    }
  }
  return activities
}

const withAttachment = (attachment: Record<string, unknown>): OutgoingActivity => ({ type: 'message', attachments: [attachment] })

function orText(activity: OutgoingActivity, part: Part, maxMessageBytes: number): OutgoingActivity[] {
  return activityBytes(activity) <= maxMessageBytes ? [activity] : textActivities(partToText(part), maxMessageBytes)
}

/** An image is a URL; if even that is too big there is nothing smaller to send than its text. */
function fitting(activity: OutgoingActivity, part: Part, maxMessageBytes: number): OutgoingActivity {
  return activityBytes(activity) <= maxMessageBytes ? activity : { type: 'message', text: partToText(part).slice(0, maxMessageBytes / 8) }
}

/** Text activities under the size limit; JSON escaping (newlines, quotes) can make text grow, so it is measured, not assumed. */
export function textActivities(text: string, maxMessageBytes: number): OutgoingActivity[] {
  if (text.trim() === '') return []
  const whole: OutgoingActivity = { type: 'message', text }
  const size = activityBytes(whole)
  if (size <= maxMessageBytes) return [whole]
  let limit = Math.max(2, Math.floor((text.length * maxMessageBytes) / size) - 64)
  for (;;) {
    const chunks = splitText(text, limit).map((chunk): OutgoingActivity => ({ type: 'message', text: chunk }))
    if (limit === 2 || chunks.every((c) => activityBytes(c) <= maxMessageBytes)) return chunks.filter((c) => (c.text as string).trim() !== '')
    limit = Math.max(2, Math.floor(limit * 0.8))
  }
}
