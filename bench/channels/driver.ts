import { request } from 'node:http'
import { Histogram } from '../ws-chat/histogram.js'
import { keepAliveAgent } from './http.js'
import type { LoadResult } from './messages.js'
import { replyPattern, type Conversation, type Post, type Target } from './payloads.js'
import type { ReplyHandler } from './sinks.js'

interface Loop {
  conversation: Conversation
  /** The message in flight (or last sent); counts on across runs, so ids never repeat. */
  seq: number
  sentAt: number
  replied: boolean
  answered: boolean
  /** Takes part in the current run (a run may use fewer loops than there are conversations). */
  active: boolean
  /** Messages given up on (timeout, non-2xx) whose reply would be late rather than duplicate. */
  abandoned: Set<number>
}

export interface RunOptions {
  port: number
  path: string
  /** How many conversations take part; all by default. */
  loops?: number
  warmupSeconds: number
  seconds: number
  timeoutMs: number
  onWindow(edge: 'start' | 'end'): void
}

/**
 * The closed loop: each conversation posts its next message only once the reply to the previous
 * one arrived *and* the webhook request was answered (as the platforms do not flood one chat or
 * call). A reply arrives at the sink (sent by the bot through the platform's API) or in the webhook
 * answer itself (a passive reply, TwiML); an answer may also send the platform on to another post
 * for the same message (TwiML). Latency is from the first post leaving to the reply arriving.
 */
export class Driver implements ReplyHandler {
  readonly #loops: Loop[]
  readonly #byKey = new Map<string, Loop>()
  readonly #agent = keepAliveAgent()
  #run: ReturnType<typeof newRun> | undefined

  constructor(conversations: Conversation[]) {
    this.#loops = conversations.map((conversation) => ({ conversation, seq: 0, sentAt: 0, replied: true, answered: true, active: false, abandoned: new Set() }))
    for (const loop of this.#loops) this.#byKey.set(loop.conversation.key, loop)
  }

  async run(options: RunOptions): Promise<LoadResult> {
    const run = (this.#run = newRun(options))
    const taking = options.loops ?? this.#loops.length
    this.#loops.forEach((loop, i) => (loop.active = i < taking))
    // A request the last run left hanging starts its loop again when it is finally answered.
    for (const loop of this.#loops) if (loop.active && loop.answered) this.#send(loop)
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
      unreadable: run.unreadable,
      inAnswer: run.inAnswer,
      redirects: run.redirects,
    }
  }

  reply(key: string, text: string): void {
    const loop = this.#byKey.get(key)
    if (loop) this.#replied(loop, text)
    else if (this.#run) this.#run.wrong++
  }

  typing(): void {
    if (this.#run) this.#run.typing++
  }

  #replied(loop: Loop, text: string): void {
    const run = this.#run
    if (!run) return
    const seq = Number(replyPattern.exec(text)?.[1] ?? NaN)
    if (!Number.isSafeInteger(seq)) {
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

  #send(loop: Loop): void {
    const run = this.#run!
    loop.seq++
    loop.replied = false
    loop.answered = false
    loop.sentAt = performance.now()
    run.sent++
    const target: Target = { port: run.options.port, path: run.options.path }
    this.#post(run, loop, loop.seq, target, loop.conversation.post(loop.seq, target))
  }

  #post(run: Run, loop: Loop, seq: number, target: Target, post: Post): void {
    const { conversation } = loop
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: post.path,
        method: 'POST',
        agent: this.#agent,
        headers: { ...post.headers, 'content-length': Buffer.byteLength(post.body) },
      },
      (res) => {
        let body = ''
        if (conversation.read) res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
        else res.resume()
        res.on('end', () => {
          const status = res.statusCode ?? 0
          if (status < 200 || status > 299) {
            count(run.statuses, String(status))
            // The platform would deliver it again later; this loop gives up on it and moves on.
            this.#abandon(loop, seq)
          } else if (conversation.read) {
            const reading = conversation.read({ body, contentType: res.headers['content-type'] ?? '' }, target, post)
            if ('next' in reading) {
              if (reading.redirect) run.redirects++
              return this.#post(run, loop, seq, target, reading.next)
            }
            if ('problem' in reading) {
              count(run.unreadable, reading.problem)
              this.#abandon(loop, seq)
            } else if (reading.reply !== undefined) {
              run.inAnswer++
              this.#replied(loop, reading.reply)
            }
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
    req.end(post.body)
  }

  #abandon(loop: Loop, seq: number): void {
    if (loop.seq !== seq || loop.replied) return
    loop.replied = true
    loop.abandoned.add(seq)
  }

  #next(loop: Loop): void {
    if (loop.replied && loop.answered && loop.active && this.#run?.sending) this.#send(loop)
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

type Run = ReturnType<typeof newRun>

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
    inAnswer: 0,
    redirects: 0,
    statuses: {} as Record<string, number>,
    errors: {} as Record<string, number>,
    unreadable: {} as Record<string, number>,
  }
}

const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
