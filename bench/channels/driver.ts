import { request } from 'node:http'
import { Histogram } from '../ws-chat/histogram.js'
import { keepAliveAgent } from './http.js'
import type { LoadResult } from './messages.js'
import { replyPattern, type Conversation } from './payloads.js'
import type { ReplyHandler } from './sinks.js'

interface Loop {
  conversation: Conversation
  /** The message in flight (or last sent); counts on across runs, so ids never repeat. */
  seq: number
  sentAt: number
  replied: boolean
  answered: boolean
  /** Messages given up on (timeout, non-2xx) whose reply would be late rather than duplicate. */
  abandoned: Set<number>
}

export interface RunOptions {
  port: number
  path: string
  warmupSeconds: number
  seconds: number
  timeoutMs: number
  onWindow(edge: 'start' | 'end'): void
}

/**
 * The closed loop: each conversation posts its next message only once the reply to the previous
 * one reached the sink *and* the webhook request was answered (as Telegram and Teams do not flood
 * one chat). Latency is from the post leaving to the reply arriving at the sink.
 */
export class Driver implements ReplyHandler {
  readonly #loops: Loop[]
  readonly #byKey = new Map<string, Loop>()
  readonly #agent = keepAliveAgent()
  #run: ReturnType<typeof newRun> | undefined

  constructor(conversations: Conversation[]) {
    this.#loops = conversations.map((conversation) => ({ conversation, seq: 0, sentAt: 0, replied: true, answered: true, abandoned: new Set() }))
    for (const loop of this.#loops) this.#byKey.set(loop.conversation.key, loop)
  }

  async run(options: RunOptions): Promise<LoadResult> {
    const run = (this.#run = newRun(options))
    // A request the last run left hanging starts its loop again when it is finally answered.
    for (const loop of this.#loops) if (loop.answered) this.#send(loop)
    const sweep = setInterval(() => this.#expire(), 100)
    await sleep(options.warmupSeconds * 1000)
    run.windowStart = performance.now()
    run.inWindow = true
    options.onWindow('start')
    await sleep(options.seconds * 1000)
    run.inWindow = false
    run.windowEnd = performance.now()
    options.onWindow('end')
    run.sending = false
    // Drain: what is in flight may still be answered, up to the timeout; then a moment for duplicates.
    const deadline = Date.now() + options.timeoutMs + 500
    while (this.#loops.some((l) => !l.replied || !l.answered) && Date.now() < deadline) await sleep(20)
    this.#expire(true)
    await sleep(500)
    clearInterval(sweep)
    this.#run = undefined
    let missing = 0
    for (const loop of this.#loops) {
      missing += loop.abandoned.size
      loop.abandoned.clear()
    }
    return {
      windowSeconds: (run.windowEnd - run.windowStart) / 1000,
      completed: run.completed,
      histogram: run.histogram.snapshot(),
      sent: run.sent,
      replies: run.replies,
      missing,
      duplicate: run.duplicate,
      late: run.late,
      wrong: run.wrong,
      typing: run.typing,
      statuses: run.statuses,
      errors: run.errors,
    }
  }

  reply(key: string, text: string): void {
    const run = this.#run
    if (!run) return
    const loop = this.#byKey.get(key)
    const seq = Number(replyPattern.exec(text)?.[1] ?? NaN)
    if (!loop || !Number.isSafeInteger(seq)) {
      run.wrong++
      return
    }
    if (seq === loop.seq && !loop.replied) {
      const now = performance.now()
      loop.replied = true
      run.replies++
      if (run.inWindow) {
        run.completed++
        // Only messages sent inside the window: a slow start must not leak into its latencies.
        if (loop.sentAt >= run.windowStart) run.histogram.record((now - loop.sentAt) * 1000)
      }
      this.#next(loop)
    } else if (loop.abandoned.delete(seq)) run.late++
    else if (seq <= loop.seq) run.duplicate++
    else run.wrong++
  }

  typing(): void {
    if (this.#run) this.#run.typing++
  }

  #send(loop: Loop): void {
    const run = this.#run!
    loop.seq++
    loop.replied = false
    loop.answered = false
    loop.sentAt = performance.now()
    run.sent++
    const body = loop.conversation.body(loop.seq)
    const seq = loop.seq
    const req = request(
      {
        host: '127.0.0.1',
        port: run.options.port,
        path: run.options.path,
        method: 'POST',
        agent: this.#agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...loop.conversation.headers },
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          const status = res.statusCode ?? 0
          if (status < 200 || status > 299) {
            count(run.statuses, String(status))
            // The platform would deliver it again later; this loop gives up on it and moves on.
            this.#abandon(loop, seq)
          }
          loop.answered = true
          this.#next(loop)
        })
      },
    )
    req.setTimeout(run.options.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })))
    req.on('error', (error: NodeJS.ErrnoException) => {
      count(run.errors, error.code ?? error.message)
      this.#abandon(loop, seq)
      loop.answered = true
      this.#next(loop)
    })
    req.end(body)
  }

  #abandon(loop: Loop, seq: number): void {
    if (loop.seq !== seq || loop.replied) return
    loop.replied = true
    loop.abandoned.add(seq)
  }

  #next(loop: Loop): void {
    if (loop.replied && loop.answered && this.#run?.sending) this.#send(loop)
  }

  /** Gives up on replies older than the timeout (or on all of them, at the end of a run). */
  #expire(all = false): void {
    const limit = performance.now() - (this.#run?.options.timeoutMs ?? 0)
    for (const loop of this.#loops) {
      if (loop.replied || (!all && loop.sentAt > limit)) continue
      this.#abandon(loop, loop.seq)
      this.#next(loop)
    }
  }
}

function newRun(options: RunOptions) {
  return {
    options,
    sending: true,
    inWindow: false,
    windowStart: 0,
    windowEnd: 0,
    completed: 0,
    histogram: new Histogram(),
    sent: 0,
    replies: 0,
    duplicate: 0,
    late: 0,
    wrong: 0,
    typing: 0,
    statuses: {} as Record<string, number>,
    errors: {} as Record<string, number>,
  }
}

const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
