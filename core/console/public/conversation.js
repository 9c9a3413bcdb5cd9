import { h, replaceChildren, timeOfDay } from './dom.js'

// The middle column: the transcript with what the bot made of each message, and internal notes.

function speakerOf(message) {
  if (message.direction === 'in') return 'customer'
  if (message.senderRole === 'agent') return 'agent'
  if (message.senderRole === 'system') return 'system'
  return 'bot'
}

const percent = (value) => `${Math.round(Number(value) * 100)}%`

/** What the pipeline recorded about a message, in words: intent, sentiment, sources, escalation. */
export function annotationLines(a) {
  if (!a) return []
  const lines = []
  if (a.intent) lines.push(`intent ${a.intent}${a.confidence !== undefined ? ` (${percent(a.confidence)})` : ''}`)
  if (a.sentiment) lines.push(`sentiment ${a.sentiment}${a.sentimentScore !== undefined ? ` (${a.sentimentScore})` : ''}`)
  if (Array.isArray(a.sources) && a.sources.length) lines.push(`sources: ${a.sources.map((s) => s.title || s.source).join(', ')}`)
  if (a.escalate || a.escalateReason) lines.push(`escalated: ${a.escalateReason || 'yes'}`)
  return lines
}

function messageItem(message, customerName) {
  const speaker = speakerOf(message)
  const who = { customer: customerName || 'Customer', bot: 'Bot', agent: (message.annotations && message.annotations.senderName) || 'Agent', system: 'System' }[speaker]
  const lines = annotationLines(message.annotations)
  return h(
    'li',
    { class: `message ${speaker}`, 'data-testid': 'message', 'data-speaker': speaker, 'data-id': message.id },
    h('div', { class: 'message-head' }, h('strong', {}, who), ' ', h('time', { datetime: message.at }, timeOfDay(message.at))),
    h('p', { class: 'text' }, message.text),
    lines.length ? h('p', { class: 'annotations', 'data-testid': 'annotations' }, lines.join(' · ')) : null,
  )
}

/** A transcript row or a live event's message, in one shape. */
export const normalizeMessage = (m) => ({ id: m.id, direction: m.direction, senderRole: m.senderRole, text: m.text, at: m.at || m.createdAt, annotations: m.annotations })

export function renderTranscript(list, messages, customerName) {
  replaceChildren(list, messages.map((message) => messageItem(message, customerName)))
  list.scrollTop = list.scrollHeight
}

export function renderNotes(list, notes) {
  if (notes.length === 0) return replaceChildren(list, [h('li', { class: 'empty' }, 'No notes yet.')])
  replaceChildren(
    list,
    notes.map((note) =>
      h(
        'li',
        { class: 'note', 'data-testid': 'note', 'data-id': note.id },
        h('div', { class: 'message-head' }, h('strong', {}, note.authorName || note.authorId), ' ', h('time', { datetime: note.createdAt }, timeOfDay(note.createdAt))),
        h('p', { class: 'text' }, note.text),
      ),
    ),
  )
}
