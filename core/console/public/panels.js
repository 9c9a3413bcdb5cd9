import { duration, h, replaceChildren } from './dom.js'
import { TICKET_PRIORITIES, TICKET_TRANSITIONS, statusLabel } from './tickets.js'

// The right column: who the customer is, and the ticket with its SLA clock.

function field(label, value, testId) {
  return [h('dt', {}, label), h('dd', testId ? { 'data-testid': testId } : {}, value)]
}

export function renderCustomer(body, customer) {
  if (!customer) return replaceChildren(body, [h('p', { class: 'empty' }, 'No customer on record.')])
  const satisfaction = customer.satisfaction && customer.satisfaction.count ? `${customer.satisfaction.average.toFixed(1)} / 5 (${customer.satisfaction.count} ratings)` : 'no ratings yet'
  replaceChildren(body, [
    h(
      'dl',
      {},
      field('Name', customer.displayName || 'unknown', 'customer-name'),
      field('VIP level', customer.vipLevel > 0 ? `VIP ${customer.vipLevel}` : 'not a VIP', 'customer-vip'),
      field('Language', customer.language || 'unknown'),
      field('Tags', customer.tags.length ? customer.tags.join(', ') : 'none'),
      field('Satisfaction', satisfaction),
    ),
    h('h3', {}, 'Identities'),
    h(
      'ul',
      { class: 'identities' },
      customer.identities.map((identity) => h('li', {}, `${identity.channel} (${identity.instance}): ${identity.displayName || identity.userId}`)),
    ),
  ])
}

/**
 * The clock a ticket is running against: first response until someone answered, then
 * resolution; `breached` once past due.
 */
export function slaClock(ticket, now) {
  if (ticket.status === 'resolved' || ticket.status === 'closed') return { text: `${statusLabel(ticket.status)}; no clock running`, breached: false }
  const [label, due] = ticket.firstRespondedAt ? ['Resolution', ticket.resolveDueAt] : ['First response', ticket.firstResponseDueAt]
  const left = Date.parse(due) - now
  return left >= 0 ? { text: `${label} due in ${duration(left)}`, breached: false } : { text: `${label} overdue by ${duration(-left)}`, breached: true }
}

function select(testId, label, options, current, onChange) {
  const id = `ticket-${testId}`
  return [
    h('label', { for: id }, label),
    h(
      'select',
      { id, 'data-testid': testId, disabled: options.length < 2, onchange: (event) => onChange(event.target.value) },
      options.map((value) => h('option', { value, selected: value === current }, statusLabel(value))),
    ),
  ]
}

export function renderTicket(body, ticket, { me, onPatch, onCreate, conversationOpen }) {
  if (!ticket) {
    if (!conversationOpen) return replaceChildren(body, [h('p', { class: 'empty' }, 'Open a conversation to see its ticket.')])
    return replaceChildren(body, [createForm(onCreate)])
  }
  const clock = slaClock(ticket, Date.now())
  replaceChildren(body, [
    h('p', { class: 'reference', 'data-testid': 'ticket-reference' }, ticket.reference, ' · ', ticket.subject),
    h('div', { class: 'field' }, select('ticket-priority', 'Priority', TICKET_PRIORITIES, ticket.priority, (priority) => onPatch({ priority }))),
    h('div', { class: 'field' }, select('ticket-status', 'Status', [ticket.status, ...TICKET_TRANSITIONS[ticket.status]], ticket.status, (status) => onPatch({ status }))),
    h('p', { class: clock.breached ? 'sla breached' : 'sla', 'data-testid': 'sla', 'data-sla-ticket': ticket.id }, clock.text),
    h('p', { class: 'meta' }, `Assignee: ${ticket.assignee === me ? 'you' : ticket.assignee || 'nobody'}`),
  ])
}

function createForm(onCreate) {
  const subject = h('input', { id: 'new-ticket-subject', required: true, maxlength: 200, 'data-testid': 'ticket-subject' })
  const priority = h(
    'select',
    { id: 'new-ticket-priority', 'data-testid': 'ticket-new-priority' },
    TICKET_PRIORITIES.map((value) => h('option', { value, selected: value === 'medium' }, value)),
  )
  return h(
    'form',
    {
      'data-testid': 'ticket-create',
      onsubmit: (event) => {
        event.preventDefault()
        onCreate({ subject: subject.value.trim(), priority: priority.value })
      },
    },
    h('p', { class: 'empty' }, 'No ticket for this conversation.'),
    h('label', { for: 'new-ticket-subject' }, 'Subject'),
    subject,
    h('label', { for: 'new-ticket-priority' }, 'Priority'),
    priority,
    h('button', { type: 'submit' }, 'Create ticket'),
  )
}
