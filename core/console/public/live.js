// The console's live feed (/console/ws): authenticates with the session, then receives the
// tenant's queue and events. Reconnects with backoff; each `ready` is a full state reload, so
// events missed while disconnected do not matter.

const UNAUTHORIZED = 4401
const MAX_BACKOFF_MS = 30_000

export function connectLive({ token, onReady, onEvent, onStatus, onRefused }) {
  let socket
  let attempt = 0
  let retryTimer
  let stopped = false

  const open = () => {
    onStatus(attempt === 0 ? 'connecting' : 'reconnecting')
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    socket = new WebSocket(`${scheme}://${location.host}/console/ws`)
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'auth', token })))
    socket.addEventListener('message', (message) => {
      let frame
      try {
        frame = JSON.parse(message.data)
      } catch {
        return
      }
      if (frame.type === 'ready') {
        attempt = 0
        onStatus('live')
        onReady(frame)
      } else if (frame.type === 'event') onEvent(frame.event)
      else if (frame.type === 'error' && frame.code.startsWith('SB_ERR_AUTH')) onRefused(frame.message)
    })
    socket.addEventListener('close', (event) => {
      if (stopped) return
      if (event.code === UNAUTHORIZED) return onRefused(event.reason || 'Your session has ended.')
      // Jittered exponential backoff: a gateway restart must not be met by every console at once.
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt) * (0.5 + Math.random() / 2)
      attempt += 1
      onStatus('reconnecting')
      retryTimer = setTimeout(open, delay)
    })
  }
  open()

  return {
    close() {
      stopped = true
      clearTimeout(retryTimer)
      if (socket) socket.close(1000, 'signed out')
    },
  }
}
