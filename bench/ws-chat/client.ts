import WebSocket from 'ws'
import { Histogram } from './histogram.js'
import type { ClientEvent, ClientRequest, Correctness, LoadRequest, LoadResult, OpenRequest, OpenResult, Target } from './messages.js'

/**
 * The load generator, in its own process so its CPU is neither the servers' nor the orchestrator's.
 * It holds N sockets (hello/welcome for the gateway), then drives C of them in a closed loop: send,
 * wait for the reply, send again. Every counter it keeps is per socket, so the final accounting can
 * say exactly which replies were missing or duplicated.
 */

interface Sock {
  ws: WebSocket
  target: Target
  /** The round trip waiting for its reply, if any. */
  inflight: { clientId: string; frame: string; sentAt: number; expected: string } | undefined
  /** Timed out once: late replies on it are counted, and it is not used again. */
  retired: boolean
  sent: number
  /** Refused with an error frame: not accepted, so not owed a reply. */
  rejected: number
  replies: number
  wrong: number
  lastSeq: number
  seqRepeats: number
  seqGaps: number
  /** client_ids sent and not acknowledged yet (gateway only). */
  unacked: Set<string> | undefined
  acks: number
  duplicateAcks: number
  acksFlaggedDuplicate: number
}

const send = (event: ClientEvent): void => {
  process.send?.(event)
}
const sockets: Sock[] = []
let closing = false
let socketsLost = 0
let load: LoadState | undefined

// Zero masks: masking is mandatory for clients but only costs the load generator CPU on loopback.
const wsOptions = { perMessageDeflate: false, skipUTF8Validation: true, generateMask: () => {} }

process.on('disconnect', () => process.exit(0))
process.on('message', (request: ClientRequest) => {
  void handle(request).catch((error: Error) => {
    send({ type: 'fatal', message: error.stack ?? error.message })
    process.exit(1)
  })
})
send({ type: 'ready', pid: process.pid })

async function handle(request: ClientRequest): Promise<void> {
  if (request.cmd === 'open') send({ type: 'opened', result: await openAll(request) })
  else if (request.cmd === 'load') send({ type: 'loaded', result: await runLoad(request) })
  else close()
}

function close(): void {
  closing = true
  for (const sock of sockets) sock.ws.terminate()
  send({ type: 'closed' })
}

// ---- phase 1: open and hold ----

/**
 * Opens in batches (each waits for the previous one) so the listen backlog never overflows. May be
 * asked more than once; the result counts this call's sockets only.
 */
async function openAll(request: OpenRequest): Promise<OpenResult> {
  const failures: Record<string, number> = {}
  const heldBefore = sockets.length
  const started = performance.now()
  for (let opened = 0; opened < request.sockets; opened += request.batch) {
    const size = Math.min(request.batch, request.sockets - opened)
    const batch = await Promise.all(Array.from({ length: size }, () => openOne(request)))
    for (const outcome of batch) {
      if (typeof outcome === 'string') failures[outcome] = (failures[outcome] ?? 0) + 1
      else sockets.push(outcome)
    }
  }
  const failed = Object.values(failures).reduce((a, b) => a + b, 0)
  return { held: sockets.length - heldBefore, failed, failures, seconds: (performance.now() - started) / 1000 }
}

/** Resolves with the held socket, or with why it could not be opened. */
function openOne({ url, target, timeoutMs }: OpenRequest): Promise<Sock | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { ...wsOptions, handshakeTimeout: timeoutMs })
    let settled = false
    const timer = setTimeout(() => fail('timeout'), timeoutMs)
    const fail = (reason: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      ws.removeAllListeners()
      ws.on('error', () => {})
      ws.terminate()
      resolve(reason)
    }
    const hold = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      ws.removeAllListeners()
      resolve(adopt(ws, target))
    }
    ws.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message.slice(0, 60)))
    ws.on('unexpected-response', (_request, response) => fail(`HTTP ${response.statusCode}`))
    ws.on('close', (code) => fail(`closed ${code}`))
    ws.on('open', () => (target === 'echo' ? hold() : ws.send('{"type":"hello"}')))
    ws.on('message', (data) => {
      const type = frameType(data.toString())
      if (type === 'welcome') hold()
      else fail(`first frame ${type}`)
    })
  })
}

function adopt(ws: WebSocket, target: Target): Sock {
  const sock: Sock = {
    ws,
    target,
    inflight: undefined,
    retired: false,
    sent: 0,
    rejected: 0,
    replies: 0,
    wrong: 0,
    lastSeq: 0,
    seqRepeats: 0,
    seqGaps: 0,
    unacked: undefined,
    acks: 0,
    duplicateAcks: 0,
    acksFlaggedDuplicate: 0,
  }
  ws.on('message', (data: Buffer) => onFrame(sock, data.toString()))
  const lost = () => {
    if (closing || sock.retired) return
    socketsLost++
    sock.retired = true
    load?.replace(sock)
  }
  ws.on('close', lost)
  ws.on('error', lost)
  return sock
}

// ---- phase 2: closed-loop load ----

interface LoadState {
  phase: 'warmup' | 'measure' | 'drain'
  histogram: Histogram
  completed: number
  timeouts: number
  late: number
  errorFrames: Record<string, number>
  active: Set<Sock>
  /** A round trip finished: record it (inside the window) and send the next message. */
  complete(sock: Sock, latencyMs: number): void
  /** The gateway refused a message with an error frame: go on after a short back-off. */
  rejected(sock: Sock): void
  /** Swap a lost or timed-out socket for a spare one. */
  replace(sock: Sock): void
}

async function runLoad(request: LoadRequest): Promise<LoadResult> {
  const usable = sockets.filter((s) => !s.retired)
  const concurrency = Math.min(request.concurrency, usable.length)
  // Spread the busy sockets over the whole set; the rest are spares for sockets that time out.
  const stride = Math.max(1, Math.floor(usable.length / Math.max(1, concurrency)))
  const chosen = new Set(Array.from({ length: concurrency }, (_, i) => usable[i * stride]!))
  const spares = usable.filter((s) => !chosen.has(s))
  const cases = request.cases.map((c) => ({ text: JSON.stringify(c.question), answer: c.answer }))
  let counter = 0

  const state: LoadState = {
    phase: 'warmup',
    histogram: new Histogram(),
    completed: 0,
    timeouts: 0,
    late: 0,
    errorFrames: {},
    active: chosen,
    complete(sock, latencyMs) {
      if (state.phase === 'measure') {
        state.completed++
        state.histogram.record(latencyMs * 1000)
      }
      sendNext(sock)
    },
    rejected(sock) {
      setTimeout(() => sendNext(sock), 10)
    },
    replace(sock) {
      state.active.delete(sock)
      const spare = spares.pop()
      if (!spare || state.phase === 'drain') return
      state.active.add(spare)
      sendNext(spare)
    },
  }
  load = state

  const sendNext = (sock: Sock) => {
    if (state.phase === 'drain' || sock.retired) return
    const c = cases[counter % cases.length]!
    const clientId = `c${++counter}`
    const frame = `{"type":"message","client_id":"${clientId}","text":${c.text}}`
    sock.inflight = { clientId, frame, sentAt: performance.now(), expected: c.answer }
    if (sock.target === 'switchboard') (sock.unacked ??= new Set()).add(clientId)
    sock.sent++
    sock.ws.send(frame)
  }
  // One sweep for all timeouts instead of a timer per message.
  const sweep = setInterval(() => {
    const now = performance.now()
    for (const sock of [...state.active]) {
      if (sock.inflight && now - sock.inflight.sentAt > request.timeoutMs) {
        state.timeouts++
        sock.inflight = undefined
        sock.retired = true
        state.replace(sock)
      }
    }
  }, 100)

  for (const sock of chosen) sendNext(sock)
  await sleep(request.warmupSeconds * 1000)
  state.phase = 'measure'
  send({ type: 'window', edge: 'start' })
  const windowStart = performance.now()
  await sleep(request.seconds * 1000)
  state.phase = 'drain'
  const windowSeconds = (performance.now() - windowStart) / 1000
  send({ type: 'window', edge: 'end' })

  // Let every outstanding round trip finish (or time out), then wait a little for stragglers
  // so a duplicate reply sent right after the last one is still seen.
  const drainDeadline = performance.now() + request.timeoutMs + 1000
  while ([...state.active].some((s) => s.inflight) && performance.now() < drainDeadline) await sleep(20)
  await sleep(500)
  clearInterval(sweep)
  load = undefined

  const used = sockets.filter((s) => s.sent > 0)
  const sum = (f: (s: Sock) => number) => used.reduce((a, s) => a + f(s), 0)
  const correctness: Correctness = {
    socketsUsed: used.length,
    missingReplies: sum((s) => Math.max(0, s.sent - s.rejected - s.replies)),
    duplicateReplies: sum((s) => Math.max(0, s.replies - (s.sent - s.rejected))),
    wrongReplies: sum((s) => s.wrong),
    seqRepeats: sum((s) => s.seqRepeats),
    seqGaps: sum((s) => s.seqGaps),
    acks: sum((s) => s.acks),
    missingAcks: sum((s) => s.unacked?.size ?? 0),
    duplicateAcks: sum((s) => s.duplicateAcks),
    acksFlaggedDuplicate: sum((s) => s.acksFlaggedDuplicate),
  }
  return {
    windowSeconds,
    completed: state.completed,
    histogram: state.histogram.snapshot(),
    sent: sum((s) => s.sent),
    replies: sum((s) => s.replies),
    timeouts: state.timeouts,
    late: state.late,
    socketsLost,
    errorFrames: state.errorFrames,
    correctness,
  }
}

function onFrame(sock: Sock, text: string): void {
  const now = performance.now()
  if (sock.target === 'echo') {
    sock.replies++
    const inflight = sock.inflight
    if (!inflight) return // counted as a duplicate by the per-socket totals
    if (text !== inflight.frame) sock.wrong++
    sock.inflight = undefined
    return load?.complete(sock, now - inflight.sentAt)
  }
  // Every gateway frame starts with its type, so typing frames (2 per turn) skip JSON.parse.
  const type = frameType(text)
  if (type === 'typing') return
  if (type === 'ack') {
    const ack = JSON.parse(text) as { client_id: string; duplicate: boolean }
    sock.acks++
    if (!sock.unacked?.delete(ack.client_id)) sock.duplicateAcks++
    if (ack.duplicate) sock.acksFlaggedDuplicate++
    return
  }
  if (type === 'message') {
    const message = JSON.parse(text) as { seq: number; text: string }
    sock.replies++
    if (message.seq <= sock.lastSeq) sock.seqRepeats++
    else if (message.seq !== sock.lastSeq + 1) sock.seqGaps++
    sock.lastSeq = Math.max(sock.lastSeq, message.seq)
    const inflight = sock.inflight
    if (!inflight) {
      if (sock.retired && load) load.late++
      return
    }
    if (message.text !== inflight.expected) sock.wrong++
    sock.inflight = undefined
    return load?.complete(sock, now - inflight.sentAt)
  }
  const frame = JSON.parse(text) as { type: string; code?: string; client_id?: string }
  const key = frame.code ?? `frame ${frame.type}`
  if (load) load.errorFrames[key] = (load.errorFrames[key] ?? 0) + 1
  if (frame.type === 'error' && frame.client_id && frame.client_id === sock.inflight?.clientId) {
    sock.inflight = undefined
    sock.rejected++
    sock.unacked?.delete(frame.client_id)
    load?.rejected(sock)
  }
}

const frameType = (text: string) => /^\{"type":"([a-z_]+)"/.exec(text)?.[1] ?? 'unparsable'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
