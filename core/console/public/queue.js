import { duration, h, replaceChildren } from './dom.js'

// The left column: who is waiting (in serving order) and what this agent is working on.

const LIVE = ['queued', 'assigned', 'agent_active']

export function customerLabel(handoff, names) {
  const name = handoff.customerId && names.get(handoff.customerId)
  return name || `Customer on ${handoff.channel}`
}

function vipBadge(level) {
  return level > 0 ? h('span', { class: 'vip', 'data-testid': 'vip', title: `VIP level ${level}` }, `VIP ${level}`) : null
}

/** A ticking "waiting 1m 05s" (tick() in console.js updates every [data-since]). */
export function since(iso, prefix) {
  return h('span', { class: 'since', 'data-since': iso, 'data-prefix': prefix }, `${prefix} ${duration(Date.now() - Date.parse(iso))}`)
}

export function renderQueue(list, queue, { names, selected, onTake, onView }) {
  replaceChildren(
    list,
    queue.map((handoff) =>
      h(
        'li',
        { class: handoff.conversationId === selected ? 'row selected' : 'row', 'data-testid': 'queue-row', 'data-handoff': handoff.id, 'data-conversation': handoff.conversationId },
        h('span', { class: 'position', 'aria-label': `position ${handoff.position}` }, `#${handoff.position}`),
        h(
          'div',
          { class: 'who' },
          h('button', { type: 'button', class: 'link', 'data-testid': 'queue-view', onclick: () => onView(handoff.conversationId) }, customerLabel(handoff, names)),
          vipBadge(handoff.vipLevel),
          h('span', { class: 'meta' }, handoff.channel, ' · ', handoff.reason),
          since(handoff.queuedAt, 'waiting'),
        ),
        h('button', { type: 'button', 'data-testid': 'queue-take', onclick: () => onTake(handoff.id) }, 'Take'),
      ),
    ),
  )
}

export function renderMine(list, handoffs, { names, selected, onView }) {
  const live = handoffs.filter((handoff) => LIVE.includes(handoff.state))
  if (live.length === 0) return replaceChildren(list, [h('li', { class: 'empty' }, 'Nothing assigned to you.')])
  replaceChildren(
    list,
    live.map((handoff) =>
      h(
        'li',
        { class: handoff.conversationId === selected ? 'row selected' : 'row', 'data-testid': 'mine-row', 'data-conversation': handoff.conversationId },
        h('button', { type: 'button', class: 'link', onclick: () => onView(handoff.conversationId) }, customerLabel(handoff, names)),
        vipBadge(handoff.vipLevel),
        h('span', { class: 'meta' }, handoff.channel, ' · ', handoff.state === 'assigned' ? 'waiting for your first reply' : 'active'),
      ),
    ),
  )
}
