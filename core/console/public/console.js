import { ApiError, pathId, signIn, tenantApi } from './api.js'
import { byTestId, duration, say } from './dom.js'
import { connectLive } from './live.js'
import { normalizeMessage, renderNotes, renderTranscript } from './conversation.js'
import { renderCustomer, renderTicket, slaClock } from './panels.js'
import { customerLabel, renderMine, renderQueue } from './queue.js'

// The agent console: sign in, watch the queue, take a conversation, talk to the customer, keep
// notes and the ticket up to date, hand the conversation back to the bot.

const SESSION_KEY = 'switchboard.console.session'
const LIVE_STATES = ['queued', 'assigned', 'agent_active']

const ui = {
  signInView: document.getElementById('sign-in'),
  deskView: document.getElementById('desk'),
  who: byTestId('who'),
  connection: byTestId('connection'),
  signOut: byTestId('sign-out'),
  signInForm: byTestId('sign-in-form'),
  credential: byTestId('credential'),
  signInError: byTestId('sign-in-error'),
  queue: byTestId('queue'),
  queueCount: byTestId('queue-count'),
  queueEmpty: byTestId('queue-empty'),
  queueError: byTestId('queue-error'),
  takeNext: byTestId('take-next'),
  mine: byTestId('mine'),
  title: byTestId('conversation-title'),
  handoffState: byTestId('handoff-state'),
  deskError: byTestId('desk-error'),
  transcript: byTestId('transcript'),
  replyForm: byTestId('reply-form'),
  replyInput: byTestId('reply-input'),
  replySend: byTestId('reply-send'),
  resolve: byTestId('resolve'),
  release: byTestId('release'),
  notes: byTestId('notes'),
  noteForm: byTestId('note-form'),
  noteInput: byTestId('note-input'),
  noteAdd: byTestId('note-add'),
  customerBody: byTestId('customer-body'),
  ticketBody: byTestId('ticket-body'),
  ticketError: byTestId('ticket-error'),
}

/** Everything the page shows, rebuilt from the server on every (re)connect. */
const state = {
  session: undefined,
  api: undefined,
  live: undefined,
  queue: [],
  mine: [],
  /** customer id → display name, for queue rows. */
  names: new Map(),
  /** The open conversation: { conversationId, conversation, messages, notes, customer, tickets, handoff }. */
  desk: undefined,
}

// ── session ─────────────────────────────────────────────────────────────────────────────────

function storedSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null')
    return session && Date.parse(session.expiresAt) > Date.now() ? session : undefined
  } catch {
    return undefined
  }
}

function start(session) {
  state.session = session
  state.api = tenantApi(session, () => stop('Your session has ended. Sign in again.'))
  ui.signInView.hidden = true
  ui.deskView.hidden = false
  ui.signOut.hidden = false
  ui.connection.hidden = false
  ui.who.hidden = false
  ui.who.textContent = `${session.principal.name || session.principal.id} · ${session.principal.tenant}`
  state.live = connectLive({
    token: session.token,
    onReady: (frame) => void reload(frame.queue),
    onEvent: (event) => void onEvent(event),
    onStatus: (status) => {
      ui.connection.dataset.state = status
      ui.connection.textContent = { connecting: 'Connecting…', reconnecting: 'Reconnecting…', live: 'Live' }[status]
    },
    onRefused: (message) => stop(message),
  })
}

function stop(message) {
  if (state.live) state.live.close()
  sessionStorage.removeItem(SESSION_KEY)
  Object.assign(state, { session: undefined, api: undefined, live: undefined, queue: [], mine: [], desk: undefined })
  ui.deskView.hidden = true
  ui.signOut.hidden = true
  ui.connection.hidden = true
  ui.who.hidden = true
  ui.signInView.hidden = false
  say(ui.signInError, message)
  ui.credential.focus()
}

ui.signInForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  say(ui.signInError, '')
  try {
    const session = await signIn(ui.credential.value.trim())
    ui.credential.value = ''
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session))
    start(session)
  } catch (error) {
    say(ui.signInError, error.message)
  }
})

ui.signOut.addEventListener('click', () => stop(''))

// ── state from the server ───────────────────────────────────────────────────────────────────

async function reload(queue) {
  state.queue = queue
  renderLists()
  await Promise.all([refreshMine(), state.desk ? openConversation(state.desk.conversationId) : undefined])
}

/** Reloads one of the left column's lists; a failure is said above the queue. */
async function refreshList(load) {
  try {
    await load()
    renderLists()
  } catch (error) {
    say(ui.queueError, error.message)
  }
}

const refreshQueue = () => refreshList(async () => (state.queue = (await state.api.get('handoffs/queue')).queue))
const refreshMine = () => refreshList(async () => (state.mine = (await state.api.get('handoffs?state=assigned,agent_active&agent=me')).handoffs))

/** Queue rows name the customer; names are fetched once per customer. */
function learnNames(handoffs) {
  for (const handoff of handoffs) {
    const id = handoff.customerId
    if (!id || state.names.has(id)) continue
    state.names.set(id, undefined)
    state.api
      .get(`customers/${pathId(id)}`)
      .then(({ customer }) => {
        state.names.set(id, customer.displayName)
        renderLists()
      })
      .catch(() => state.names.delete(id))
  }
}

function renderLists() {
  learnNames([...state.queue, ...state.mine])
  const selected = state.desk && state.desk.conversationId
  renderQueue(ui.queue, state.queue, { names: state.names, selected, onTake: take, onView: openConversation })
  renderMine(ui.mine, state.mine, { names: state.names, selected, onView: openConversation })
  ui.queueCount.textContent = String(state.queue.length)
  ui.queueEmpty.hidden = state.queue.length > 0
  ui.takeNext.disabled = state.queue.length === 0
}

// ── live events ─────────────────────────────────────────────────────────────────────────────

let queueRefresh
function onEvent(event) {
  const desk = state.desk
  if (event.type === 'handoff') {
    // Positions shift for everyone behind a change: ask for the queue in order rather than guess.
    clearTimeout(queueRefresh)
    queueRefresh = setTimeout(refreshQueue, 50)
    if (event.handoff.agentId === state.session.principal.id || state.mine.some((h) => h.id === event.handoff.id)) void refreshMine()
    if (desk && event.handoff.conversationId === desk.conversationId) {
      desk.handoff = event.handoff
      renderDesk()
    }
  } else if (event.type === 'message' && desk && event.conversationId === desk.conversationId) {
    addById(desk.messages, normalizeMessage(event.message))
    renderTranscript(ui.transcript, desk.messages, customerName())
  } else if (event.type === 'note' && desk && event.note.conversationId === desk.conversationId) {
    addById(desk.notes, event.note)
    renderNotes(ui.notes, desk.notes)
  } else if (event.type === 'ticket' && desk && (event.ticket.conversationIds.includes(desk.conversationId) || desk.tickets.some((t) => t.id === event.ticket.id))) {
    replaceById(desk.tickets, event.ticket)
    renderTicketPanel()
  }
}

function addById(list, item) {
  if (!list.some((existing) => existing.id === item.id)) list.push(item)
}

function replaceById(list, item) {
  const index = list.findIndex((existing) => existing.id === item.id)
  if (index >= 0) list[index] = item
  else list.unshift(item)
}

// ── the open conversation ───────────────────────────────────────────────────────────────────

async function openConversation(conversationId) {
  say(ui.deskError, '')
  try {
    const view = await state.api.get(`conversations/${pathId(conversationId)}/desk`)
    state.desk = { conversationId, ...view, messages: view.messages.map(normalizeMessage), notes: view.notes, tickets: view.tickets }
    renderDesk()
    renderLists()
  } catch (error) {
    say(ui.deskError, `Could not open the conversation: ${error.message}`)
  }
}

const customerName = () => state.desk && state.desk.customer && state.desk.customer.displayName

/** The live handoff is this agent's: only then may they write to the customer. */
function mine(handoff) {
  return !!handoff && handoff.agentId === state.session.principal.id && ['assigned', 'agent_active'].includes(handoff.state)
}

function currentTicket() {
  const tickets = state.desk ? state.desk.tickets : []
  return tickets.find((t) => t.status !== 'closed') || tickets[0]
}

function renderDesk() {
  const desk = state.desk
  const handoff = desk.handoff
  ui.title.textContent = desk.customer ? desk.customer.displayName || 'Customer' : handoff ? customerLabel(handoff, state.names) : 'Conversation'
  ui.handoffState.textContent = describeHandoff(handoff)
  ui.handoffState.dataset.state = handoff ? handoff.state : 'bot'
  renderTranscript(ui.transcript, desk.messages, customerName())
  renderNotes(ui.notes, desk.notes)
  renderCustomer(ui.customerBody, desk.customer)
  renderTicketPanel()
  const writable = mine(handoff)
  ui.replyInput.disabled = !writable
  ui.replySend.disabled = !writable
  ui.resolve.disabled = !writable
  ui.release.disabled = !writable
  ui.noteInput.disabled = false
  ui.noteAdd.disabled = false
}

function describeHandoff(handoff) {
  if (!handoff || !LIVE_STATES.includes(handoff.state)) return handoff && handoff.state === 'resolved' ? 'Resolved: back with the bot' : 'With the bot'
  if (handoff.state === 'queued') return 'Waiting in the queue'
  const who = handoff.agentId === state.session.principal.id ? 'you' : handoff.agentName || handoff.agentId
  return handoff.state === 'assigned' ? `Taken by ${who}; no reply yet` : `With ${who}`
}

function renderTicketPanel() {
  renderTicket(ui.ticketBody, currentTicket(), { me: state.session.principal.id, conversationOpen: !!state.desk, onPatch: patchTicket, onCreate: createTicket })
}

// ── actions (each one admin API call) ───────────────────────────────────────────────────────

async function take(handoffId) {
  say(ui.queueError, '')
  try {
    const { handoff } = await state.api.post('handoffs/take', handoffId ? { handoffId } : {})
    if (!handoff) return say(ui.queueError, 'Nobody is waiting right now.')
    await Promise.all([refreshMine(), openConversation(handoff.conversationId)])
  } catch (error) {
    say(ui.queueError, error.code === 'SB_ERR_ALREADY_TAKEN' ? `Someone was quicker: ${error.message}` : `Could not take it: ${error.message}`)
  } finally {
    await refreshQueue()
  }
}

ui.takeNext.addEventListener('click', () => void take())

async function sendReply() {
  const text = ui.replyInput.value.trim()
  const handoff = state.desk && state.desk.handoff
  if (!text || !mine(handoff)) return
  say(ui.deskError, '')
  ui.replySend.disabled = true
  try {
    await state.api.post(`handoffs/${pathId(handoff.id)}/reply`, { text })
    ui.replyInput.value = ''
  } catch (error) {
    say(ui.deskError, `Your reply was not sent: ${error.message}`)
  } finally {
    ui.replySend.disabled = !mine(state.desk && state.desk.handoff)
  }
}

ui.replyForm.addEventListener('submit', (event) => {
  event.preventDefault()
  void sendReply()
})
ui.replyInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault()
    void sendReply()
  }
})

async function endHandoff(action) {
  const handoff = state.desk && state.desk.handoff
  if (!mine(handoff)) return
  say(ui.deskError, '')
  try {
    state.desk.handoff = (await state.api.post(`handoffs/${pathId(handoff.id)}/${action}`, {})).handoff
    renderDesk()
    await Promise.all([refreshMine(), refreshQueue()])
  } catch (error) {
    say(ui.deskError, `Could not ${action} the conversation: ${error.message}`)
  }
}

ui.resolve.addEventListener('click', () => void endHandoff('resolve'))
ui.release.addEventListener('click', () => void endHandoff('release'))

ui.noteForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  const text = ui.noteInput.value.trim()
  if (!text || !state.desk) return
  say(ui.deskError, '')
  try {
    const { note } = await state.api.post(`conversations/${pathId(state.desk.conversationId)}/notes`, { text })
    ui.noteInput.value = ''
    addById(state.desk.notes, note)
    renderNotes(ui.notes, state.desk.notes)
  } catch (error) {
    say(ui.deskError, `The note was not saved: ${error.message}`)
  }
})

async function patchTicket(change) {
  const ticket = currentTicket()
  say(ui.ticketError, '')
  try {
    replaceById(state.desk.tickets, (await state.api.patch(`tickets/${pathId(ticket.id)}`, { ...change, version: ticket.version })).ticket)
  } catch (error) {
    say(ui.ticketError, error instanceof ApiError && error.status === 409 ? `Not changed: ${error.message}` : `Could not update the ticket: ${error.message}`)
  }
  renderTicketPanel()
}

async function createTicket({ subject, priority }) {
  const desk = state.desk
  say(ui.ticketError, '')
  if (!subject) return say(ui.ticketError, 'A ticket needs a subject.')
  try {
    const body = { subject, priority, conversationId: desk.conversationId, ...(desk.customer ? { customerId: desk.customer.id } : {}) }
    replaceById(desk.tickets, (await state.api.post('tickets', body)).ticket)
    renderTicketPanel()
  } catch (error) {
    say(ui.ticketError, `Could not create the ticket: ${error.message}`)
  }
}

// ── clocks ──────────────────────────────────────────────────────────────────────────────────

setInterval(() => {
  const now = Date.now()
  for (const element of document.querySelectorAll('[data-since]')) element.textContent = `${element.dataset.prefix} ${duration(now - Date.parse(element.dataset.since))}`
  const ticket = currentTicket()
  const sla = document.querySelector('[data-sla-ticket]')
  if (ticket && sla) {
    const clock = slaClock(ticket, now)
    sla.textContent = clock.text
    sla.classList.toggle('breached', clock.breached)
  }
}, 1000)

const resumed = storedSession()
if (resumed) start(resumed)
else ui.credential.focus()
