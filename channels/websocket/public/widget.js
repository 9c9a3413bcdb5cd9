/*
 * Switchboard web chat: the browser side of the protocol in channels/websocket/README.md.
 * Dependency-free on purpose: host pages embed it with one <script> tag and it must work offline,
 * so no build step, no frameworks, nothing fetched from anywhere but the gateway itself.
 */
(() => {
  'use strict'

  // Pasting the snippet twice must not open two sockets for one visitor.
  if (window.Switchboard && window.Switchboard.loaded) return

  const MAX_TEXT = 4000
  const BACKOFF_MIN_MS = 500
  const BACKOFF_MAX_MS = 15000
  const CONNECT_TIMEOUT_MS = 15000
  const DEFAULT_HEARTBEAT_MS = 25000
  const TYPING_SAFETY_MS = 30000
  const TYPING_SEND_EVERY_MS = 5000
  const HISTORY_LIMIT = 50
  // A socket that dies right after its welcome must not reset the backoff, or a server that keeps
  // closing us would be hammered at the minimum delay.
  const STABLE_SOCKET_MS = 10000

  const STATUS_TEXT = {
    connecting: () => 'Connecting…',
    open: () => 'Connected',
    reconnecting: (s) => `Reconnecting in ${s}s…`,
    offline: () => 'Offline',
  }

  // ---------------------------------------------------------------------------------------------
  // Where we are: gateway origin and tenant come from our own URL, so one file serves every tenant.

  const script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"]')
  const pageConfig = isObject(window.SWITCHBOARD_CONFIG) ? window.SWITCHBOARD_CONFIG : {}
  const scriptUrl = new URL((script && script.src) || pageConfig.widget || location.href, location.href)
  const pathTenant = /\/t\/([^/]+)\/chat\/widget\.js$/.exec(scriptUrl.pathname)
  const tenant =
    (script && script.dataset.tenant) ||
    (pathTenant && safeDecode(pathTenant[1])) ||
    (typeof pageConfig.tenant === 'string' && pageConfig.tenant) ||
    ''
  if (!tenant) {
    console.warn('[switchboard] cannot tell the tenant: load widget.js from /t/<tenant>/chat/widget.js or set data-tenant')
    return
  }
  const secure = location.protocol === 'https:' || scriptUrl.protocol === 'https:'
  const wsUrl = `${secure ? 'wss' : 'ws'}://${scriptUrl.host}/t/${encodeURIComponent(tenant)}/ws`
  const title = str(pageConfig.title) || (script && script.dataset.title) || 'Chat'
  const greeting = str(pageConfig.greeting) || (script && script.dataset.greeting) || ''

  // ---------------------------------------------------------------------------------------------
  // Persistence. localStorage can throw (disabled, private mode, quota); the chat must still work
  // for the current page when it does.

  const SESSION_KEY = `switchboard:${tenant}:session`
  const OUTBOX_KEY = `switchboard:${tenant}:outbox`
  const OPEN_KEY = `switchboard:${tenant}:open`

  const storage = {
    read(area, key) {
      try {
        const raw = window[area].getItem(key)
        return raw ? JSON.parse(raw) : null
      } catch {
        return null
      }
    },
    write(area, key, value) {
      try {
        if (value == null) window[area].removeItem(key)
        else window[area].setItem(key, JSON.stringify(value))
      } catch {
        /* best effort */
      }
    },
  }

  const savedSession = storage.read('localStorage', SESSION_KEY)
  let token = isObject(savedSession) && typeof savedSession.token === 'string' ? savedSession.token : ''
  // lastSeq is the highest seq up to which we have every bot message; seqs seen above a gap wait in
  // `seenAhead` so a late message that fills the gap is still shown rather than dropped.
  let lastSeq = token && isObject(savedSession) && isSeq(savedSession.lastSeq) ? savedSession.lastSeq : 0
  const seenAhead = new Set()

  function saveSession() {
    storage.write('localStorage', SESSION_KEY, token ? { token, lastSeq } : null)
  }

  function clearSession() {
    token = ''
    lastSeq = 0
    seenAhead.clear()
    saveSession()
  }

  const savedOutbox = storage.read('localStorage', OUTBOX_KEY)
  const outbox = Array.isArray(savedOutbox) ? savedOutbox.filter(isOutboxItem) : []

  function saveOutbox() {
    storage.write('localStorage', OUTBOX_KEY, outbox.length ? outbox : null)
  }

  // ---------------------------------------------------------------------------------------------
  // Connection state machine.

  let ws = null
  let welcomed = false
  let welcomedAt = 0
  let attempt = 0
  let state = 'connecting'
  let reconnectTimer = 0
  let reconnectAt = 0
  let countdownTimer = 0
  let heartbeatTimer = 0
  let heartbeatMs = DEFAULT_HEARTBEAT_MS
  let lastRx = 0
  let pingSentAt = 0
  let gapTimer = 0
  let lastTypingSent = 0
  let holdUntil = 0
  let holdTimer = 0
  let conversationId = ''
  let historyLoaded = false
  let helloHadToken = false
  // Set after a 4409: another tab took our slot; reconnecting on our own would just evict it back.
  let parked = false
  const retryTimers = new Map()
  const listeners = new Set()

  function connect() {
    clearReconnect()
    if (ws) return
    parked = false
    if (navigator.onLine === false) {
      setState('offline')
      return
    }
    setState('connecting')
    let socket
    try {
      socket = new WebSocket(wsUrl)
    } catch (err) {
      console.warn('[switchboard] cannot open the socket', err)
      scheduleReconnect()
      return
    }
    ws = socket
    welcomed = false
    // The gateway's rate limit is per socket.
    holdUntil = 0
    clearTimeout(holdTimer)
    const connectTimeout = setTimeout(() => {
      if (ws === socket && !welcomed) drop(socket)
    }, CONNECT_TIMEOUT_MS)

    socket.onopen = () => {
      if (ws !== socket) return
      lastRx = Date.now()
      helloHadToken = Boolean(token)
      const hello = { type: 'hello' }
      if (token) {
        hello.token = token
        hello.after_seq = lastSeq
      }
      const locale = navigator.language
      if (locale) hello.user = { locale }
      socket.send(JSON.stringify(hello))
    }
    socket.onmessage = (event) => {
      if (ws !== socket) return
      lastRx = Date.now()
      let frame
      try {
        frame = JSON.parse(event.data)
      } catch {
        return
      }
      if (isObject(frame)) handleFrame(frame)
    }
    socket.onclose = (event) => {
      clearTimeout(connectTimeout)
      if (ws !== socket) return
      ws = null
      onClosed(event.code)
    }
    // Every error is followed by a close event, which is where we act.
    socket.onerror = () => {}
  }

  /** Gives up on a socket that stopped answering without waiting for the browser to notice. */
  function drop(socket) {
    if (!socket || ws !== socket) return
    ws = null
    try {
      socket.close()
    } catch {
      /* already closing */
    }
    onClosed(1006)
  }

  function onClosed(code) {
    const lived = welcomed && Date.now() - welcomedAt > STABLE_SOCKET_MS
    welcomed = false
    stopHeartbeat()
    setTyping(false)
    if (lived) attempt = 0
    if (code === 4401) {
      // The token was refused; a hello without one starts a new conversation. Only retry at once
      // if this was a token problem, or a server that refuses everything would be hammered.
      if (token) clearSession()
      if (helloHadToken) reconnectIn(0)
      else scheduleReconnect()
      return
    }
    if (code === 4409) {
      parked = true
      setState('offline')
      notice('This chat was opened in another window. Send a message to continue here.')
      return
    }
    scheduleReconnect()
  }

  function scheduleReconnect() {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt)
    attempt++
    // Half fixed, half random: spreads a crowd of visitors after a gateway restart.
    reconnectIn(base / 2 + Math.random() * (base / 2))
  }

  function reconnectIn(ms) {
    clearReconnect()
    if (navigator.onLine === false) {
      setState('offline')
      return
    }
    reconnectAt = Date.now() + ms
    setState('reconnecting')
    reconnectTimer = setTimeout(connect, ms)
    countdownTimer = setInterval(() => setState('reconnecting'), 500)
  }

  function clearReconnect() {
    clearTimeout(reconnectTimer)
    clearInterval(countdownTimer)
    reconnectTimer = 0
    countdownTimer = 0
  }

  function sendFrame(frame) {
    if (!ws || !welcomed || ws.readyState !== WebSocket.OPEN) return false
    // While rate limited every refused frame counts towards being disconnected for flooding.
    if (Date.now() < holdUntil) return false
    ws.send(JSON.stringify(frame))
    return true
  }

  /** Starts a connection if none is running or planned: used when the visitor acts while idle. */
  function ensureConnection() {
    if (!ws && (!reconnectTimer || parked)) connect()
  }

  function startHeartbeat() {
    stopHeartbeat()
    pingSentAt = 0
    // Browsers answer the server's pings silently, so only an application ping tells us the socket
    // still works. A late answer counts as dead only if we asked: throttled background timers would
    // otherwise make an idle but healthy socket look dead.
    heartbeatTimer = setInterval(() => {
      const now = Date.now()
      if (pingSentAt && lastRx < pingSentAt && now - pingSentAt > heartbeatMs) {
        drop(ws)
      } else if (now - lastRx >= heartbeatMs && !(pingSentAt && lastRx < pingSentAt)) {
        if (sendFrame({ type: 'ping' })) pingSentAt = now
      }
    }, Math.max(1000, heartbeatMs / 2))
  }

  function stopHeartbeat() {
    clearInterval(heartbeatTimer)
    heartbeatTimer = 0
  }

  // ---------------------------------------------------------------------------------------------
  // Frames from the gateway.

  function handleFrame(frame) {
    switch (frame.type) {
      case 'welcome':
        return onWelcome(frame)
      case 'ack':
        return onAck(frame)
      case 'message':
        return onBotMessage(frame)
      case 'draft':
        return onDraft(frame)
      case 'typing':
        return setTyping(frame.on === true)
      case 'history':
        return onHistory(frame)
      case 'token':
        if (typeof frame.token === 'string' && frame.token) {
          token = frame.token
          saveSession()
        }
        return
      case 'error':
        return onError(frame)
      case 'goodbye':
        return onGoodbye(frame)
      default:
        // pong and anything newer than this widget: lastRx is already updated.
        return
    }
  }

  function onWelcome(frame) {
    welcomed = true
    welcomedAt = Date.now()
    if (typeof frame.token === 'string' && frame.token) token = frame.token
    const convo = str(frame.conversation_id)
    if (conversationId && convo && convo !== conversationId) clearTranscript()
    if (frame.resumed === false) {
      lastSeq = 0
      seenAhead.clear()
    }
    const serverLast = isSeq(frame.last_seq) ? frame.last_seq : null
    // The server is the authority on what exists; waiting for seqs it never had would drop new ones.
    if (serverLast !== null && serverLast < lastSeq) {
      lastSeq = serverLast
      seenAhead.clear()
    }
    conversationId = convo || conversationId
    saveSession()
    heartbeatMs = isSeq(frame.heartbeat_ms) && frame.heartbeat_ms > 0 ? frame.heartbeat_ms : DEFAULT_HEARTBEAT_MS
    startHeartbeat()
    setState('open')

    // after_seq replay covers what arrived while we were away; the transcript before that is only
    // on the server after a page load, so ask for it once.
    if (!historyLoaded && helloHadToken && frame.resumed !== false) {
      sendFrame({ type: 'history', limit: HISTORY_LIMIT })
    }
    historyLoaded = true
    for (const item of outbox) transmit(item)
  }

  function onAck(frame) {
    const clientId = str(frame.client_id)
    if (!clientId) return
    const index = outbox.findIndex((item) => item.client_id === clientId)
    if (index >= 0) {
      outbox.splice(index, 1)
      saveOutbox()
    }
    clearTimeout(retryTimers.get(clientId))
    retryTimers.delete(clientId)
    const el = findOutgoing(clientId)
    if (!el) return
    const id = str(frame.id)
    const twin = id ? findById(id) : null
    if (twin && twin !== el) {
      // History already showed this message (accepted before a reload, ack lost): keep one.
      el.remove()
      return
    }
    if (id) el.dataset.id = id
    setStatus(el, 'sent')
  }

  /** A reply being written: shown growing, then replaced by the stored message of the same turn. */
  function onDraft(frame) {
    const turnId = str(frame.turn_id)
    const delta = str(frame.delta)
    if (!turnId || !delta) return
    setTyping(false)
    ui.growDraft(turnId, delta)
  }

  function onBotMessage(frame) {
    const turnId = str(frame.turn_id)
    if (turnId) ui.dropDraft(turnId)
    const seq = isSeq(frame.seq) ? frame.seq : null
    if (seq !== null) {
      if (seq <= lastSeq || seenAhead.has(seq)) return
      noteSeq(seq)
    }
    const message = {
      id: str(frame.id),
      seq,
      text: str(frame.text),
      parts: Array.isArray(frame.parts) ? frame.parts : [],
      at: str(frame.at),
    }
    ui.addBotMessage(message)
    ui.notifyUnread()
    for (const fn of listeners) {
      try {
        fn({ ...message, parts: message.parts.slice() })
      } catch (err) {
        console.error('[switchboard] onMessage listener failed', err)
      }
    }
  }

  function noteSeq(seq) {
    if (seq <= lastSeq) return
    seenAhead.add(seq)
    while (seenAhead.has(lastSeq + 1)) {
      lastSeq++
      seenAhead.delete(lastSeq)
    }
    saveSession()
    clearTimeout(gapTimer)
    if (seenAhead.size) {
      // A message arrived past a hole. A replay in flight usually fills it; if not, ask again.
      gapTimer = setTimeout(() => {
        if (seenAhead.size) sendFrame({ type: 'resume', after_seq: lastSeq })
      }, 1500)
    }
  }

  function onHistory(frame) {
    const messages = Array.isArray(frame.messages) ? frame.messages.filter(isObject) : []
    for (const m of messages) {
      if (m.direction === 'out' && isSeq(m.seq)) noteSeq(m.seq)
    }
    ui.mergeHistory(messages)
  }

  function onError(frame) {
    const code = str(frame.code)
    const clientId = str(frame.client_id)
    const item = clientId ? outbox.find((i) => i.client_id === clientId) : undefined
    const retryAfter = isSeq(frame.retry_after_ms) ? frame.retry_after_ms : null
    switch (code) {
      case 'SB_ERR_AUTH_INVALID':
      case 'SB_ERR_AUTH_EXPIRED':
        // Close 4401 follows; onClosed reconnects without a token.
        clearSession()
        return
      case 'SB_ERR_AUTH_REQUIRED':
      case 'SB_ERR_SHUTTING_DOWN':
        // A close (and for shutdown a goodbye) follows; the outbox is resent after reconnecting.
        return
      case 'SB_ERR_RATE_LIMITED':
        // The limit is checked before the frame is read, so client_id is usually missing: pause
        // all sends and resend whatever is still unacked (same client_ids, so never twice).
        holdSends(retryAfter ?? 1000)
        return
      case 'SB_ERR_STORE_UNAVAILABLE':
        if (item) retryLater(item, retryAfter ?? 3000)
        else notice('The chat is having trouble right now. Please try again shortly.')
        return
      case 'SB_ERR_TEXT_TOO_LONG':
        if (item) return fail(item, `Not sent: messages can be at most ${MAX_TEXT} characters.`)
        return notice('That message was too long to send.')
      case 'SB_ERR_FRAME_INVALID':
        if (item) return fail(item, 'Not sent: the chat could not read this message.')
        return notice(str(frame.message) || 'The chat could not read the last request.')
      default:
        notice(str(frame.message) || 'Something went wrong.')
    }
  }

  function onGoodbye(frame) {
    const socket = ws
    ws = null
    welcomed = false
    stopHeartbeat()
    setTyping(false)
    if (socket) {
      try {
        socket.close(1000)
      } catch {
        /* already closing */
      }
    }
    const after = isSeq(frame.retry_after_ms) ? frame.retry_after_ms : 1000
    // A little jitter so every visitor of a restarting gateway does not knock at the same instant.
    reconnectIn(after + Math.random() * 250)
  }

  // ---------------------------------------------------------------------------------------------
  // Outgoing messages: the outbox holds everything not yet acked, in memory and localStorage, and
  // is resent with the same client_id after every welcome so nothing typed is lost or doubled.

  function newClientId() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID()
    // randomUUID needs a secure context; plain-http host pages still deserve unique ids.
    const bytes = new Uint8Array(16)
    crypto.getRandomValues(bytes)
    return 'c-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  }

  function queue(item) {
    ui.addOutgoing(item)
    if (item.text.length > MAX_TEXT) {
      // Never let it reach the gateway: a frame over its size limit closes the socket, and the
      // outbox would resend it after every reconnect.
      fail(item, `Not sent: messages can be at most ${MAX_TEXT} characters.`)
      return item.client_id
    }
    outbox.push(item)
    saveOutbox()
    transmit(item)
    ensureConnection()
    return item.client_id
  }

  function sendText(text) {
    const clean = String(text ?? '').trim()
    if (!clean) return null
    return queue({ client_id: newClientId(), kind: 'message', text: clean })
  }

  function sendPostback(value, label) {
    return queue({ client_id: newClientId(), kind: 'postback', value: String(value), text: String(label || value) })
  }

  function transmit(item) {
    if (item.kind === 'postback') {
      return sendFrame({ type: 'postback', client_id: item.client_id, value: item.value, text: item.text })
    }
    return sendFrame({ type: 'message', client_id: item.client_id, text: item.text })
  }

  function retryLater(item, ms) {
    clearTimeout(retryTimers.get(item.client_id))
    retryTimers.set(
      item.client_id,
      setTimeout(() => {
        retryTimers.delete(item.client_id)
        // If the socket went away meanwhile, the next welcome resends it anyway.
        if (outbox.includes(item)) transmit(item)
      }, ms),
    )
  }

  function holdSends(ms) {
    holdUntil = Math.max(holdUntil, Date.now() + ms)
    clearTimeout(holdTimer)
    holdTimer = setTimeout(() => {
      holdUntil = 0
      for (const item of outbox) transmit(item)
    }, holdUntil - Date.now())
  }

  function fail(item, reason) {
    const index = outbox.indexOf(item)
    if (index >= 0) {
      outbox.splice(index, 1)
      saveOutbox()
    }
    const el = findOutgoing(item.client_id)
    if (el) setStatus(el, 'error', reason)
  }

  function sendTyping() {
    const now = Date.now()
    if (now - lastTypingSent < TYPING_SEND_EVERY_MS) return
    if (sendFrame({ type: 'typing' })) lastTypingSent = now
  }

  // ---------------------------------------------------------------------------------------------
  // State shown to the visitor.

  let typingSafety = 0

  function setTyping(on) {
    clearTimeout(typingSafety)
    if (on) typingSafety = setTimeout(() => setTyping(false), TYPING_SAFETY_MS)
    if (ui.typing) ui.typing.hidden = !on
    if (on) ui.scrollToEnd(false)
  }

  function setState(next) {
    state = next
    if (!ui.status) return
    const seconds = Math.max(1, Math.round((reconnectAt - Date.now()) / 1000))
    const text = STATUS_TEXT[next](seconds)
    if (ui.status.dataset.state !== next) ui.status.dataset.state = next
    if (ui.statusText.textContent !== text) ui.statusText.textContent = text
  }

  function notice(text) {
    ui.addNotice(text)
  }

  function clearTranscript() {
    const pending = new Set(outbox.map((i) => i.client_id))
    for (const el of ui.list.querySelectorAll('[data-sb="message"], [data-sb="notice"]')) {
      if (!pending.has(el.dataset.clientId)) el.remove()
    }
  }

  function findOutgoing(clientId) {
    for (const el of ui.list.querySelectorAll('[data-sb="message"][data-direction="in"]')) {
      if (el.dataset.clientId === clientId) return el
    }
    return null
  }

  function findById(id) {
    for (const el of ui.list.querySelectorAll('[data-sb="message"]')) {
      if (el.dataset.id === id) return el
    }
    return null
  }

  function setStatus(el, status, reason) {
    el.dataset.status = status
    const meta = el.querySelector('.sb-meta')
    if (!meta) return
    meta.textContent = status === 'pending' ? 'Sending…' : status === 'error' ? reason || 'Not sent.' : ''
    meta.hidden = status === 'sent'
  }

  // ---------------------------------------------------------------------------------------------
  // DOM. Untrusted text only ever goes through textContent, attributes through safe setters.

  const ui = {
    root: null,
    panel: null,
    list: null,
    body: null,
    typing: null,
    status: null,
    statusText: null,
    input: null,
    counter: null,
    launcher: null,
    greetingEl: null,
    inline: false,
    isOpen: false,

    build() {
      injectStyle()
      const container = document.getElementById('switchboard-chat')
      this.inline = Boolean(container && container.dataset.mode === 'inline')
      const uid = `sb-${Math.random().toString(36).slice(2, 8)}`

      const root = el('div', { class: `sb-root ${this.inline ? 'sb-inline' : 'sb-floating'}` })
      const panel = el('section', { class: 'sb-panel', id: `${uid}-panel` })
      const header = el('header', { class: 'sb-header' })

      // The chat page renders its own <h1> (visible without JavaScript); adopt it instead of
      // showing the title twice.
      let heading = this.inline ? document.querySelector('[data-sb="title"]') : null
      if (heading) heading.classList.add('sb-title')
      else heading = el('h2', { class: 'sb-title', text: title })
      heading.id = heading.id || `${uid}-title`
      panel.setAttribute('aria-labelledby', heading.id)
      if (this.inline) panel.setAttribute('role', 'region')
      else panel.setAttribute('role', 'dialog')

      // Not a live region: the reconnect countdown would be read out every second.
      this.status = el('p', { class: 'sb-status', 'data-sb': 'status', 'data-state': state })
      this.statusText = el('span', { class: 'sb-status-text' })
      this.status.append(el('span', { class: 'sb-dot', 'aria-hidden': 'true' }), this.statusText)
      const titles = el('div', { class: 'sb-titles' })
      titles.append(heading, this.status)
      header.append(titles)
      if (!this.inline) {
        const closeBtn = el('button', { type: 'button', class: 'sb-icon-btn', 'aria-label': 'Close chat' })
        closeBtn.append(icon('M6 6l12 12M18 6L6 18'))
        closeBtn.addEventListener('click', () => this.close())
        header.append(closeBtn)
      }

      this.body = el('div', { class: 'sb-body' })
      this.list = el('div', {
        class: 'sb-messages',
        'data-sb': 'messages',
        role: 'log',
        'aria-live': 'polite',
        'aria-relevant': 'additions',
        'aria-label': 'Messages',
      })
      this.typing = el('div', { class: 'sb-typing', 'data-sb': 'typing', hidden: '' })
      const dots = el('span', { class: 'sb-dots', 'aria-hidden': 'true' })
      dots.append(el('span'), el('span'), el('span'))
      this.typing.append(dots, el('span', { class: 'sb-sr-only', text: 'The assistant is typing…' }))
      this.body.append(this.list, this.typing)

      if (greeting) {
        this.greetingEl = el('div', { class: 'sb-msg sb-out', 'data-sb': 'greeting' })
        const bubble = el('div', { class: 'sb-bubble' })
        appendText(bubble, greeting)
        this.greetingEl.append(bubble)
        this.list.append(this.greetingEl)
      }

      const form = el('form', { class: 'sb-composer', novalidate: '' })
      const label = el('label', { class: 'sb-sr-only', for: `${uid}-input`, text: 'Type your message' })
      this.input = el('textarea', {
        class: 'sb-input',
        id: `${uid}-input`,
        'data-sb': 'input',
        rows: '1',
        maxlength: String(MAX_TEXT),
        placeholder: 'Type a message…',
        autocomplete: 'off',
        'aria-describedby': `${uid}-count`,
      })
      this.counter = el('span', { class: 'sb-count', id: `${uid}-count`, 'aria-live': 'polite', hidden: '' })
      const sendBtn = el('button', { type: 'submit', class: 'sb-send', 'data-sb': 'send', 'aria-label': 'Send message' })
      sendBtn.append(icon('M4 12l16-8-6 16-2.5-6.5z'), el('span', { class: 'sb-send-text', text: 'Send' }))
      form.append(label, this.input, sendBtn, this.counter)
      form.addEventListener('submit', (event) => {
        event.preventDefault()
        this.submit()
      })
      this.input.addEventListener('keydown', (event) => {
        // isComposing: Enter also confirms an IME composition (Japanese, Chinese…), not a send.
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
          event.preventDefault()
          this.submit()
        }
      })
      this.input.addEventListener('input', () => {
        this.autosize()
        this.updateCounter()
        if (this.input.value) sendTyping()
      })
      this.input.addEventListener('focus', () => {
        if (parked) connect()
      })

      panel.append(header, this.body, form)
      root.append(panel)
      this.root = root
      this.panel = panel

      if (this.inline) {
        container.append(root)
        this.isOpen = true
      } else {
        this.launcher = el('button', {
          type: 'button',
          class: 'sb-launcher',
          'data-sb': 'launcher',
          'aria-label': 'Open chat',
          'aria-controls': panel.id,
          'aria-expanded': 'false',
        })
        this.launcher.append(icon('M4 5h16v11H8l-4 4z', 'sb-icon-chat'), icon('M6 6l12 12M18 6L6 18', 'sb-icon-close'))
        this.launcher.addEventListener('click', () => (this.isOpen ? this.close() : this.open()))
        root.addEventListener('keydown', (event) => {
          if (event.key === 'Escape' && this.isOpen) {
            event.preventDefault()
            this.close()
          }
        })
        panel.hidden = true
        root.append(this.launcher)
        document.body.append(root)
      }
      setState(state)
      for (const item of outbox) this.addOutgoing(item)
    },

    open(focus = true) {
      if (!this.inline && !this.isOpen) {
        this.isOpen = true
        this.panel.hidden = false
        this.root.classList.add('sb-open')
        this.launcher.setAttribute('aria-expanded', 'true')
        this.launcher.setAttribute('aria-label', 'Close chat')
        this.launcher.classList.remove('sb-unread')
        storage.write('sessionStorage', OPEN_KEY, true)
        ensureConnection()
        this.scrollToEnd(true)
      }
      if (focus) this.input.focus()
    },

    close() {
      if (this.inline || !this.isOpen) return
      const hadFocus = this.root.contains(document.activeElement)
      this.isOpen = false
      this.panel.hidden = true
      this.root.classList.remove('sb-open')
      this.launcher.setAttribute('aria-expanded', 'false')
      this.launcher.setAttribute('aria-label', 'Open chat')
      storage.write('sessionStorage', OPEN_KEY, null)
      if (hadFocus) this.launcher.focus()
    },

    notifyUnread() {
      if (!this.inline && !this.isOpen) {
        this.launcher.classList.add('sb-unread')
        this.launcher.setAttribute('aria-label', 'Open chat (new message)')
      }
    },

    submit() {
      const text = this.input.value
      if (!text.trim()) return
      sendText(text)
      this.input.value = ''
      this.autosize()
      this.updateCounter()
      this.input.focus()
    },

    autosize() {
      this.input.style.height = 'auto'
      this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`
    },

    updateCounter() {
      const left = MAX_TEXT - this.input.value.length
      this.counter.hidden = left > 200
      this.counter.textContent = `${left} characters left`
    },

    nearEnd() {
      const b = this.body
      return b.scrollHeight - b.scrollTop - b.clientHeight < 80
    },

    scrollToEnd(force) {
      if (!force && !this.nearEnd()) return
      // After layout, so images and the new bubble are measured.
      requestAnimationFrame(() => {
        this.body.scrollTop = this.body.scrollHeight
      })
    },

    addOutgoing(item) {
      const node = renderUserMessage(item.text)
      node.dataset.clientId = item.client_id
      setStatus(node, 'pending')
      this.list.append(node)
      this.scrollToEnd(true)
    },

    growDraft(turnId, delta) {
      const stick = this.nearEnd()
      let node = this.findDraft(turnId)
      if (!node) {
        node = el('div', { class: 'sb-msg sb-out sb-draft', 'data-sb': 'draft', 'data-direction': 'out', 'aria-busy': 'true' })
        node.dataset.turn = turnId
        node.append(el('div', { class: 'sb-bubble' }))
        this.list.append(node)
      }
      node.firstChild.textContent += delta
      if (stick) this.scrollToEnd(true)
    },

    dropDraft(turnId) {
      this.findDraft(turnId)?.remove()
    },

    findDraft(turnId) {
      // Compared as data, not spliced into a selector: the id comes from the network.
      for (const node of this.list.querySelectorAll('[data-sb="draft"]')) if (node.dataset.turn === turnId) return node
      return null
    },

    addBotMessage(message) {
      const stick = this.nearEnd()
      const node = renderBotMessage(message)
      insertBySeq(this.list, node, message.seq)
      if (stick) this.scrollToEnd(true)
    },

    addNotice(text) {
      const node = el('div', { class: 'sb-notice', 'data-sb': 'notice', text })
      this.list.append(node)
      this.scrollToEnd(false)
    },

    /** History is oldest first; merge it around what is already shown, keeping relative order. */
    mergeHistory(messages) {
      const stick = this.nearEnd()
      let anchor = this.greetingEl
      for (const m of messages) {
        const existing =
          (str(m.id) && findById(str(m.id))) ||
          (m.direction === 'out' && isSeq(m.seq) ? this.list.querySelector(`[data-sb="message"][data-seq="${m.seq}"]`) : null)
        if (existing) {
          anchor = existing
          continue
        }
        let node
        if (m.direction === 'in') {
          node = renderUserMessage(str(m.text))
          setStatus(node, 'sent')
        } else {
          node = renderBotMessage({
            id: str(m.id),
            seq: isSeq(m.seq) ? m.seq : null,
            text: str(m.text),
            parts: Array.isArray(m.parts) ? m.parts : [],
            at: str(m.at),
          })
        }
        if (str(m.id)) node.dataset.id = str(m.id)
        this.list.insertBefore(node, anchor ? anchor.nextSibling : this.list.firstChild)
        anchor = node
      }
      if (stick) this.scrollToEnd(true)
    },
  }

  function insertBySeq(list, node, seq) {
    if (seq !== null) {
      for (const other of list.querySelectorAll('[data-sb="message"][data-seq]')) {
        if (Number(other.dataset.seq) > seq) {
          list.insertBefore(node, other)
          return
        }
      }
    }
    list.append(node)
  }

  function renderUserMessage(text) {
    const node = el('div', { class: 'sb-msg sb-in', 'data-sb': 'message', 'data-direction': 'in' })
    const bubble = el('div', { class: 'sb-bubble' })
    appendText(bubble, text)
    node.append(bubble, el('div', { class: 'sb-meta', hidden: '' }))
    return node
  }

  function renderBotMessage(message) {
    const node = el('div', { class: 'sb-msg sb-out', 'data-sb': 'message', 'data-direction': 'out' })
    if (message.seq !== null) node.dataset.seq = String(message.seq)
    if (message.id) node.dataset.id = message.id
    const when = message.at ? new Date(message.at) : null
    if (when && !Number.isNaN(when.getTime())) node.title = when.toLocaleString()

    const parts = message.parts.filter(isObject)
    let rendered = 0
    for (const part of parts) {
      const partNode = renderPart(part)
      if (partNode) {
        node.append(partNode)
        rendered++
      }
    }
    // `text` is the gateway's plain rendering of every part: the fallback for parts we cannot show.
    if (!rendered) {
      const bubble = el('div', { class: 'sb-bubble' })
      appendText(bubble, message.text)
      node.append(bubble)
    }
    return node
  }

  function renderPart(part) {
    switch (part.type) {
      case 'text': {
        if (!str(part.text)) return null
        const bubble = el('div', { class: 'sb-bubble' })
        appendText(bubble, str(part.text))
        return bubble
      }
      case 'image': {
        const url = safeUrl(part.url)
        if (!url) return null
        const img = el('img', { class: 'sb-image', alt: str(part.name), loading: 'lazy' })
        img.src = url
        const link = el('a', { class: 'sb-media', target: '_blank', rel: 'noopener noreferrer' })
        link.href = url
        link.append(img)
        return link
      }
      case 'file':
      case 'audio':
      case 'video': {
        const url = safeUrl(part.url)
        if (!url) return null
        const label = str(part.name) || fileName(url) || part.type
        const link = el('a', { class: 'sb-file', target: '_blank', rel: 'noopener noreferrer', text: label })
        link.href = url
        return link
      }
      case 'card': {
        const card = el('div', { class: 'sb-card' })
        if (str(part.title)) card.append(el('p', { class: 'sb-card-title', text: str(part.title) }))
        if (str(part.body)) {
          const body = el('p', { class: 'sb-card-body' })
          appendText(body, str(part.body))
          card.append(body)
        }
        const actions = Array.isArray(part.actions) ? part.actions.filter(isObject) : []
        if (actions.length) {
          const row = el('div', { class: 'sb-actions' })
          for (const action of actions) {
            const label = str(action.title) || str(action.value)
            if (!label) continue
            if (action.type === 'url') {
              const url = safeUrl(action.value)
              if (!url) continue
              const a = el('a', { class: 'sb-action', target: '_blank', rel: 'noopener noreferrer', text: label })
              a.href = url
              row.append(a)
            } else {
              const button = el('button', { type: 'button', class: 'sb-action', text: label })
              button.addEventListener('click', () => {
                sendPostback(str(action.value) || label, label)
                ui.input.focus()
              })
              row.append(button)
            }
          }
          card.append(row)
        }
        return card
      }
      case 'choice': {
        const options = Array.isArray(part.options) ? part.options.filter(isObject) : []
        const group = el('div', { class: 'sb-choice' })
        if (str(part.text)) {
          const prompt = el('div', { class: 'sb-bubble' })
          appendText(prompt, str(part.text))
          group.append(prompt)
        }
        const row = el('div', { class: 'sb-actions', role: 'group' })
        if (str(part.text)) row.setAttribute('aria-label', str(part.text))
        for (const option of options) {
          const label = str(option.title) || str(option.value)
          if (!label) continue
          const button = el('button', { type: 'button', class: 'sb-action', text: label })
          button.addEventListener('click', () => {
            // A choice is answered once; leaving it live invites contradictory double answers.
            for (const b of row.querySelectorAll('button')) b.disabled = true
            button.classList.add('sb-chosen')
            button.setAttribute('aria-pressed', 'true')
            sendPostback(str(option.value) || label, label)
            ui.input.focus()
          })
          row.append(button)
        }
        group.append(row)
        return group
      }
      default:
        return null
    }
  }

  const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi

  /** Text with its http(s) URLs as links, built node by node so nothing is ever parsed as HTML. */
  function appendText(parent, text) {
    let last = 0
    for (const match of text.matchAll(URL_RE)) {
      let raw = match[0]
      // Sentence punctuation right after a URL belongs to the sentence.
      const trail = /[.,;:!?)\]}'"]+$/.exec(raw)
      if (trail) raw = raw.slice(0, -trail[0].length)
      const url = safeUrl(raw)
      if (!url) continue
      parent.append(document.createTextNode(text.slice(last, match.index)))
      const a = el('a', { target: '_blank', rel: 'noopener noreferrer nofollow', text: raw })
      a.href = url
      parent.append(a)
      last = match.index + raw.length
    }
    parent.append(document.createTextNode(text.slice(last)))
  }

  // ---------------------------------------------------------------------------------------------
  // Small helpers.

  function el(tag, attrs) {
    const node = document.createElement(tag)
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (name === 'text') node.textContent = value
        else node.setAttribute(name, value)
      }
    }
    return node
  }

  function icon(d, extraClass) {
    const ns = 'http://www.w3.org/2000/svg'
    const svg = document.createElementNS(ns, 'svg')
    svg.setAttribute('viewBox', '0 0 24 24')
    svg.setAttribute('aria-hidden', 'true')
    svg.setAttribute('focusable', 'false')
    svg.setAttribute('class', extraClass ? `sb-icon ${extraClass}` : 'sb-icon')
    const path = document.createElementNS(ns, 'path')
    path.setAttribute('d', d)
    svg.append(path)
    return svg
  }

  function safeUrl(value) {
    if (typeof value !== 'string' || !value) return null
    try {
      const url = new URL(value, scriptUrl)
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null
    } catch {
      return null
    }
  }

  function fileName(url) {
    try {
      return safeDecode(new URL(url).pathname.split('/').pop() || '')
    } catch {
      return ''
    }
  }

  function safeDecode(value) {
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  }

  function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value)
  }

  function isSeq(value) {
    return Number.isInteger(value) && value >= 0
  }

  function str(value) {
    return typeof value === 'string' ? value : ''
  }

  function isOutboxItem(item) {
    return (
      isObject(item) &&
      typeof item.client_id === 'string' &&
      item.client_id.length > 0 &&
      item.client_id.length <= 64 &&
      typeof item.text === 'string' &&
      (item.kind === 'message' || (item.kind === 'postback' && typeof item.value === 'string'))
    )
  }

  function injectStyle() {
    if (document.getElementById('sb-style')) return
    const style = el('style', { id: 'sb-style' })
    style.textContent = CSS
    document.head.append(style)
  }

  const CSS = `
.sb-root {
  --sb-bg: #ffffff; --sb-surface: #f2f4f7; --sb-text: #1d2128; --sb-muted: #5d6573;
  --sb-border: #d9dde4; --sb-accent: #2456d3; --sb-on-accent: #ffffff; --sb-danger: #b42318;
  --sb-ok: #1f8a4c; --sb-warn: #b25e09; --sb-shadow: 0 12px 40px rgba(15, 23, 42, .18);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  color: var(--sb-text); -webkit-font-smoothing: antialiased; text-align: left;
}
@media (prefers-color-scheme: dark) {
  .sb-root {
    --sb-bg: #16181d; --sb-surface: #23262d; --sb-text: #e7e9ee; --sb-muted: #a2a9b6;
    --sb-border: #363a43; --sb-accent: #4a78f0; --sb-on-accent: #ffffff; --sb-danger: #ff8b7e;
    --sb-ok: #4cc285; --sb-warn: #f0a54a; --sb-shadow: 0 12px 40px rgba(0, 0, 0, .5);
  }
}
.sb-root, .sb-root *, .sb-root *::before, .sb-root *::after { box-sizing: border-box; }
/* Host pages style bare elements (even *); everything below out-ranks that. */
.sb-root * { font-family: inherit; letter-spacing: normal; text-transform: none; text-shadow: none; }
.sb-root [hidden] { display: none !important; }
.sb-root button, .sb-root textarea { font: inherit; color: inherit; margin: 0; }
.sb-root a { color: inherit; text-decoration: underline; text-underline-offset: 2px; }
.sb-root :focus-visible { outline: 2px solid var(--sb-accent); outline-offset: 2px; }
.sb-sr-only {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.sb-panel {
  display: flex; flex-direction: column; background: var(--sb-bg); color: var(--sb-text);
  overflow: hidden; min-height: 0;
}
.sb-floating .sb-panel {
  position: fixed; right: 20px; bottom: 88px; z-index: 2147483000;
  width: 380px; height: min(620px, calc(100vh - 110px));
  border: 1px solid var(--sb-border); border-radius: 14px; box-shadow: var(--sb-shadow);
}
.sb-inline { height: 100%; width: 100%; }
.sb-inline .sb-panel { height: 100%; width: 100%; }
.sb-header {
  display: flex; align-items: center; gap: 12px; padding: 12px 16px;
  border-bottom: 1px solid var(--sb-border); background: var(--sb-bg);
}
.sb-titles { flex: 1; min-width: 0; }
.sb-root .sb-title {
  margin: 0; padding: 0; font-size: 16px; font-weight: 600; line-height: 1.3; letter-spacing: 0;
  color: var(--sb-text); white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}
.sb-inline .sb-title { font-size: 18px; }
.sb-inline .sb-header { padding: 12px max(16px, calc((100% - 760px) / 2)); }
.sb-status { display: flex; align-items: center; gap: 6px; margin: 2px 0 0; font-size: 12.5px; color: var(--sb-muted); }
.sb-dot { width: 8px; height: 8px; border-radius: 50%; background: var(--sb-warn); flex: none; }
.sb-status[data-state="open"] .sb-dot { background: var(--sb-ok); }
.sb-status[data-state="offline"] .sb-dot { background: var(--sb-muted); }
.sb-icon-btn {
  display: inline-flex; align-items: center; justify-content: center; width: 36px; height: 36px;
  border: 0; border-radius: 8px; background: transparent; cursor: pointer; padding: 0;
}
.sb-icon-btn:hover { background: var(--sb-surface); }
.sb-icon { width: 20px; height: 20px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
.sb-body { flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain; padding: 16px; }
.sb-messages, .sb-typing { max-width: 760px; margin: 0 auto; }
.sb-messages { display: flex; flex-direction: column; gap: 8px; }
.sb-msg { display: flex; flex-direction: column; gap: 6px; max-width: 82%; }
.sb-in { align-self: flex-end; align-items: flex-end; }
.sb-out { align-self: flex-start; align-items: flex-start; }
.sb-bubble {
  padding: 9px 13px; border-radius: 16px; white-space: pre-wrap; overflow-wrap: anywhere;
  background: var(--sb-surface); color: var(--sb-text);
}
.sb-draft .sb-bubble { opacity: .85; }
.sb-out .sb-bubble { border-bottom-left-radius: 5px; }
.sb-in .sb-bubble { background: var(--sb-accent); color: var(--sb-on-accent); border-bottom-right-radius: 5px; }
.sb-in[data-status="pending"] .sb-bubble { opacity: .65; }
.sb-in[data-status="error"] .sb-bubble { background: transparent; color: var(--sb-text); border: 1px solid var(--sb-danger); }
.sb-meta { font-size: 12px; color: var(--sb-muted); padding: 0 4px; }
.sb-in[data-status="error"] .sb-meta { color: var(--sb-danger); }
.sb-notice {
  align-self: center; max-width: 90%; font-size: 12.5px; color: var(--sb-muted); text-align: center;
  padding: 4px 10px; border-radius: 10px; background: var(--sb-surface);
}
.sb-media { display: block; line-height: 0; }
.sb-image { display: block; max-width: 100%; max-height: 260px; border-radius: 12px; border: 1px solid var(--sb-border); }
.sb-file {
  display: inline-flex; align-items: center; gap: 6px; padding: 8px 12px; border-radius: 12px;
  border: 1px solid var(--sb-border); background: var(--sb-bg); overflow-wrap: anywhere;
}
.sb-root .sb-file { text-decoration: none; }
.sb-file::before { content: "\\1F4CE"; }
.sb-card { border: 1px solid var(--sb-border); border-radius: 14px; padding: 12px 14px; background: var(--sb-bg); min-width: 200px; }
.sb-card-title { margin: 0 0 4px; font-weight: 600; }
.sb-card-body { margin: 0 0 8px; white-space: pre-wrap; overflow-wrap: anywhere; color: var(--sb-muted); }
.sb-choice { display: flex; flex-direction: column; gap: 6px; align-items: flex-start; }
.sb-actions { display: flex; flex-wrap: wrap; gap: 6px; }
.sb-root .sb-action {
  display: inline-block; padding: 6px 12px; border-radius: 999px; border: 1px solid var(--sb-accent);
  background: transparent; color: var(--sb-accent); cursor: pointer; text-decoration: none; font-size: 14px; line-height: 1.3;
}
.sb-root .sb-action:hover:not(:disabled) { background: var(--sb-accent); color: var(--sb-on-accent); }
.sb-root .sb-action:disabled { cursor: default; opacity: .55; }
.sb-root .sb-action.sb-chosen { background: var(--sb-accent); color: var(--sb-on-accent); opacity: 1; }
.sb-typing { padding: 8px 0 0; }
.sb-dots { display: inline-flex; gap: 4px; padding: 11px 14px; border-radius: 16px; background: var(--sb-surface); }
.sb-dots span { width: 7px; height: 7px; border-radius: 50%; background: var(--sb-muted); animation: sb-blink 1.2s infinite ease-in-out; }
.sb-dots span:nth-child(2) { animation-delay: .2s; }
.sb-dots span:nth-child(3) { animation-delay: .4s; }
@keyframes sb-blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }
.sb-composer {
  display: flex; flex-wrap: wrap; align-items: flex-end; gap: 8px; padding: 10px 12px;
  border-top: 1px solid var(--sb-border); background: var(--sb-bg);
}
.sb-inline .sb-composer { padding: 12px max(12px, calc((100% - 760px) / 2)); }
.sb-root .sb-input {
  flex: 1; min-width: 0; resize: none; max-height: 160px; padding: 9px 12px; border-radius: 12px;
  border: 1px solid var(--sb-border); background: var(--sb-bg); color: var(--sb-text); line-height: 1.4;
}
.sb-root .sb-input::placeholder { color: var(--sb-muted); opacity: 1; }
.sb-root .sb-input:focus { outline: none; border-color: var(--sb-accent); box-shadow: 0 0 0 3px color-mix(in srgb, var(--sb-accent) 25%, transparent); }
.sb-root .sb-send {
  display: inline-flex; align-items: center; gap: 6px; height: 40px; padding: 0 14px; border: 0;
  border-radius: 12px; background: var(--sb-accent); color: var(--sb-on-accent); cursor: pointer; font-weight: 600;
}
.sb-root .sb-send:hover { filter: brightness(1.08); }
.sb-send .sb-icon { width: 18px; height: 18px; }
.sb-count { flex-basis: 100%; font-size: 12px; color: var(--sb-muted); text-align: right; }
.sb-root .sb-launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 56px; height: 56px;
  display: inline-flex; align-items: center; justify-content: center; border: 0; border-radius: 50%;
  padding: 0; background: var(--sb-accent); color: var(--sb-on-accent); box-shadow: var(--sb-shadow); cursor: pointer;
}
.sb-launcher .sb-icon { width: 26px; height: 26px; }
.sb-launcher .sb-icon-close, .sb-open .sb-launcher .sb-icon-chat { display: none; }
.sb-open .sb-launcher .sb-icon-close { display: block; }
.sb-launcher.sb-unread::after {
  content: ""; position: absolute; top: 6px; right: 6px; width: 12px; height: 12px; border-radius: 50%;
  background: var(--sb-danger); border: 2px solid var(--sb-bg);
}
@media (max-width: 520px) {
  .sb-floating .sb-panel {
    inset: 0; width: 100%; height: 100%; height: 100dvh; border: 0; border-radius: 0;
  }
  .sb-floating.sb-open .sb-launcher { display: none; }
  .sb-msg { max-width: 90%; }
  .sb-send-text { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .sb-root .sb-send { padding: 0 12px; }
}
@media (prefers-reduced-motion: reduce) {
  .sb-dots span { animation: none; opacity: .7; }
}
`

  // ---------------------------------------------------------------------------------------------
  // Start.

  const api = {
    loaded: true,
    open: () => whenReady(() => ui.open()),
    close: () => whenReady(() => ui.close()),
    /** Sends `text` as the visitor; returns its client_id (null for empty text). */
    send(text) {
      const clean = String(text ?? '').trim()
      if (!clean) return null
      const clientId = newClientId()
      whenReady(() => queue({ client_id: clientId, kind: 'message', text: clean }))
      return clientId
    },
    /** Calls `fn` with every new bot message; returns a function that unsubscribes. */
    onMessage(fn) {
      if (typeof fn !== 'function') throw new TypeError('Switchboard.onMessage expects a function')
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  }
  window.Switchboard = Object.freeze(api)

  let ready = false
  const pendingCalls = []
  function whenReady(fn) {
    if (ready) fn()
    else pendingCalls.push(fn)
  }

  function start() {
    ui.build()
    ready = true
    window.addEventListener('online', () => {
      if (!ws) connect()
    })
    window.addEventListener('offline', () => {
      if (!ws) {
        clearReconnect()
        setState('offline')
      }
    })
    document.addEventListener('visibilitychange', () => {
      // Timers are throttled in background tabs; a tab coming back should not sit out a long backoff.
      if (document.visibilityState === 'visible' && !ws && reconnectTimer && !parked) connect()
    })
    // Embedded pages only connect once the visitor shows interest, unless a conversation is going on.
    if (ui.inline || token || outbox.length || storage.read('sessionStorage', OPEN_KEY)) {
      // Restoring an open panel across the host site's pages must not steal the page's focus.
      if (!ui.inline && storage.read('sessionStorage', OPEN_KEY)) ui.open(false)
      else connect()
    }
    for (const fn of pendingCalls.splice(0)) fn()
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true })
  else start()
})()
