import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { engines, type TestDatabase } from '../../test/databases.js'
import { silentLog, textActivity } from '../../test/kit/activities.js'
import { systemClock } from '../clock.js'
import { GatewayConfig } from '../config/gateway-schema.js'
import type { Reply } from '../message/index.js'
import { TenantLimits } from '../limits/tenant-limits.js'
import { Metrics } from '../observability/metrics.js'
import { Pipeline } from '../pipeline/pipeline.js'
import type { Turn } from '../pipeline/turn.js'
import type { ChannelConnection, OutboundDelivery, SendOutcome } from '../plugin/channel.js'
import { ConversationRepository } from '../store/conversations.js'
import { DeliveryStore } from '../store/delivery-store.js'
import { TranscriptRepository } from '../store/transcript.js'
import { DeliveryEngine } from './engine.js'
import { KeyedSerialQueue } from './keyed-serial-queue.js'

const silent = silentLog
const never = new Promise<never>(() => {})

/** A channel that records what it was asked to send and answers as the test says. */
class RecordingChannel implements ChannelConnection {
  readonly sent: OutboundDelivery[] = []
  outcomes: SendOutcome[] = []
  hang = false
  async send(delivery: OutboundDelivery): Promise<SendOutcome> {
    this.sent.push(delivery)
    if (this.hang) return never
    return this.outcomes.shift() ?? { status: 'sent' }
  }
}

describe.each(engines)('the delivery path on %s', (_name, open) => {
  let t: TestDatabase
  let conversationId: string
  let stopTenant = () => {}
  let turnTimeoutMs = 30_000
  const running: DeliveryEngine[] = []

  beforeEach(async () => {
    t = await open()
    const conversation = await new ConversationRepository(t.db).ensure({ tenant: 'acme', channel: 'test', instance: 'chat', externalId: 'u1', userId: 'u1' })
    conversationId = conversation.id
  })
  afterEach(async () => {
    turnTimeoutMs = 30_000
    for (const engine of running.splice(0)) await engine.close(100)
    await t.drop()
  })

  let limits = new TenantLimits()
  /** One "process": an engine over the shared database, with its own pipeline and channel. */
  const boot = (respond: (text: string, turn: Turn) => Promise<Reply | undefined>, channel = new RecordingChannel(), store = new DeliveryStore(t.db), resumable = false) => {
    const config = GatewayConfig.parse({ turns: { timeoutMs: turnTimeoutMs } })
    const engine = new DeliveryEngine(store, new TranscriptRepository(t.db), new KeyedSerialQueue(), new Metrics({ defaultMetrics: false }), silent, systemClock, config, limits)
    const pipeline = new Pipeline([{ id: 'bot', respond: (turn) => respond(turn.activity.text, turn) }])
    const scope = new AbortController()
    stopTenant = () => scope.abort(new Error('tenant stopped'))
    engine.attach((tenant) =>
      tenant === 'acme'
        ? { pipeline, log: silent, locale: 'en', signal: scope.signal, channel: () => ({ type: 'test', capabilities: { parts: ['text'], maxTextLength: 50, resumable }, connection: channel }) }
        : undefined,
    )
    running.push(engine)
    return { engine, channel, store }
  }

  const message = (id: string, text: string) => textActivity(text, { id, instance: 'chat', conversationId })
  const echo = async (text: string): Promise<Reply> => ({ parts: [{ type: 'text', text: `echo: ${text}` }] })
  const until = async (check: () => boolean) => {
    // Generous: the whole suite shares two cores, and this waits for work, not for a deadline.
    for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
    expect(check()).toBe(true)
  }

  it('keeps plugin memory with the conversation: each turn sees what the last left, also after a restart', async () => {
    const counting = async (text: string, turn: Turn): Promise<Reply> => {
      const count = ((turn.memory.count as number | undefined) ?? 0) + 1
      turn.memory.count = count
      return { parts: [{ type: 'text', text: `${text} #${count}` }] }
    }
    const first = boot(counting)
    await first.engine.receive(message('1', 'a'))
    await until(() => first.channel.sent.length === 1)
    await first.engine.receive(message('2', 'b'))
    await until(() => first.channel.sent.length === 2)
    await first.engine.close(100)
    const second = boot(counting)
    await second.engine.receive(message('3', 'c'))
    await until(() => second.channel.sent.length === 1)
    expect([...first.channel.sent, ...second.channel.sent].map((d) => d.text)).toEqual(['a #1', 'b #2', 'c #3'])
  })

  it('answers each accepted message once, in arrival order, even when earlier turns are slower', async () => {
    const slowFirst = async (text: string) => {
      if (text === 'first') await new Promise((r) => setTimeout(r, 50))
      return echo(text)
    }
    const { engine, channel } = boot(slowFirst)
    await engine.receive(message('1', 'first'))
    await engine.receive(message('2', 'second'))
    expect(await engine.receive(message('1', 'first'))).toMatchObject({ status: 'duplicate' })
    await until(() => channel.sent.length === 2)
    expect(channel.sent.map((d) => [d.seq, d.text])).toEqual([
      [1, 'echo: first'],
      [2, 'echo: second'],
    ])
  })

  it('splits a reply longer than the channel allows into ordered messages, losing nothing', async () => {
    const long = 'Sentence one is here. Sentence two follows it. And a third one closes the paragraph.'
    const { engine, channel } = boot(async () => ({ parts: [{ type: 'text', text: long }, { type: 'choice', text: 'More?', options: [{ title: 'Yes', value: 'y' }] }] }))
    await engine.receive(message('1', 'tell me'))
    await until(() => channel.sent.length >= 3)
    const texts = channel.sent.map((d) => d.text)
    expect(texts.every((x) => x.length <= 50)).toBe(true)
    expect(texts.join(' ').replace(/\s+/g, ' ')).toContain(long)
    expect(texts.at(-1)).toBe('More?\n1. Yes')
    expect(channel.sent.map((d) => d.seq)).toEqual(texts.map((_, i) => i + 1))
  })

  it('sends a reply persisted before a crash exactly once after the restart, without rerunning the turn', async () => {
    let turnsRun = 0
    const counting = async (text: string) => {
      turnsRun++
      return echo(text)
    }
    const crashing = new RecordingChannel()
    crashing.hang = true // the process dies while the reply is on its way out
    const first = boot(counting, crashing)
    await first.engine.receive(message('1', 'hello'))
    await until(() => crashing.sent.length === 1) // persisted, handed to the channel, never confirmed
    running.splice(running.indexOf(first.engine), 1)

    const second = boot(counting)
    expect(await second.engine.recover('acme')).toEqual({ turns: 0, replies: 1 })
    await until(() => second.channel.sent.length === 1)
    expect(second.channel.sent[0]).toMatchObject({ seq: 1, text: 'echo: hello' })
    expect(turnsRun).toBe(1)

    // The send is marked in the background after the channel took it; the next start comes after that.
    for (let i = 0; i < 500 && (await second.store.pendingOutbox({ tenant: 'acme' })).length > 0; i++) await new Promise((r) => setTimeout(r, 10))
    const third = boot(counting)
    expect(await third.engine.recover('acme')).toEqual({ turns: 0, replies: 0 })
  })

  it('refuses a message over the tenant’s concurrent-turn budget before storing it, and frees the slot when the turn ends', async () => {
    limits = new TenantLimits()
    limits.configure('acme', { concurrentTurns: 1 })
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const channel = new RecordingChannel()
    const { engine, store } = boot(async (text) => (text === 'slow' ? (await held, echo(text)) : echo(text)), channel)
    await engine.receive(message('1', 'slow'))
    await expect(engine.receive({ ...message('2', 'fast'), conversation: { ...message('2', 'fast').conversation, id: 'other' } })).rejects.toMatchObject({
      code: 'SB_ERR_RATE_LIMITED',
      retryAfterMs: 1000,
    })
    expect((await store.pendingTurns('acme')).map((t) => t.platformMsgId)).toEqual(['1'])
    release()
    await until(() => channel.sent.length === 1)
    await until(() => limits.snapshot('acme')!.turns === 0)
    expect((await engine.receive(message('3', 'again'))).status).toBe('accepted')
    limits = new TenantLimits()
  })

  it('reruns a turn that was accepted but not finished when the process died', async () => {
    const first = boot(() => never)
    await first.engine.receive(message('1', 'are you there?'))
    running.splice(running.indexOf(first.engine), 1)

    const second = boot(echo)
    expect(await second.engine.recover('acme')).toEqual({ turns: 1, replies: 0 })
    await until(() => second.channel.sent.length === 1)
    expect(second.channel.sent[0]!.text).toBe('echo: are you there?')
  })

  it('waits out a Retry-After and then delivers in order, once', async () => {
    const channel = new RecordingChannel()
    channel.outcomes = [{ status: 'retry', afterMs: 150, error: '429 Too Many Requests' }]
    const { engine } = boot(echo, channel)
    await engine.receive(message('1', 'one'))
    await engine.receive(message('2', 'two'))
    await until(() => channel.sent.filter((d) => d.text === 'echo: two').length === 1)
    expect(channel.sent.map((d) => d.text)).toEqual(['echo: one', 'echo: one', 'echo: two'])
    expect(channel.sent[1]!.attempt).toBe(2)
  })

  it('parks a reply nobody is there to receive, keeping it in the transcript for a resume', async () => {
    const channel = new RecordingChannel()
    channel.outcomes = [{ status: 'deferred' }]
    const { engine, store } = boot(echo, channel)
    await engine.receive(message('1', 'hi'))
    await until(() => channel.sent.length === 1)
    await engine.close(1000)
    expect(await store.pendingOutbox({ tenant: 'acme', conversationId })).toEqual([])
    expect((await new TranscriptRepository(t.db).outboundAfter('acme', conversationId, 0)).map((m) => m.text)).toEqual(['echo: hi'])
    expect(await store.outboxStats('acme')).toEqual({ pending: 0, oldestSeconds: 0 })
  })

  it('pushes replies to a resumable channel straight from the transcript, keeping no outbox', async () => {
    const channel = new RecordingChannel()
    channel.outcomes = [{ status: 'deferred' }]
    const { engine, store } = boot(echo, channel, new DeliveryStore(t.db), true)
    await engine.receive(message('1', 'anyone?'))
    await engine.receive(message('2', 'hello?'))
    await until(() => channel.sent.length === 2)
    await engine.close(1000)
    expect(await store.pendingOutbox({ tenant: 'acme' })).toEqual([])
    expect((await new TranscriptRepository(t.db).outboundAfter('acme', conversationId, 0)).map((m) => [m.seq, m.text])).toEqual([
      [1, 'echo: anyone?'],
      [2, 'echo: hello?'],
    ])
  })

  it('apologises instead of going silent when the pipeline fails', async () => {
    const { engine, channel } = boot(async () => {
      throw new Error('model exploded')
    })
    await engine.receive(message('1', 'hi'))
    // The apology is longer than this channel's 50 characters, so it arrives in pieces.
    await until(() => channel.sent.map((d) => d.text).join(' ').endsWith('human agent.'))
    expect(channel.sent.map((d) => d.text).join(' ')).toMatch(/^Sorry, something went wrong on our side\. Please try again/)
    const [turn] = await new TranscriptRepository(t.db).history('acme', conversationId)
    expect(turn!.annotations).toMatchObject({ error: 'SB_ERR_TURN_FAILED' })
  })

  it('tries a turn again in its place when its commit fails, instead of leaving an acknowledged message unanswered', async () => {
    class FlakyStore extends DeliveryStore {
      failures = 1
      override async commitTurn(commit: Parameters<DeliveryStore['commitTurn']>[0]) {
        if (this.failures-- > 0) throw new Error('connection reset')
        return super.commitTurn(commit)
      }
    }
    const { engine, channel } = boot(echo, new RecordingChannel(), new FlakyStore(t.db))
    expect(await engine.receive(message('1', 'still there?'))).toMatchObject({ status: 'accepted' })
    await engine.receive(message('2', 'hello?'))
    await until(() => channel.sent.length === 2)
    // The retried turn kept its place: the follow-up did not overtake it.
    expect(channel.sent.map((d) => [d.seq, d.text])).toEqual([
      [1, 'echo: still there?'],
      [2, 'echo: hello?'],
    ])
  })

  it('leaves a turn interrupted by a stop pending for the next start, without an apology', async () => {
    const first = boot(() => new Promise(() => {}))
    await first.engine.receive(message('1', 'slow question'))
    await new Promise((r) => setTimeout(r, 50))
    const closing = first.engine.close(50)
    stopTenant()
    await closing
    expect(first.channel.sent).toEqual([])
    running.splice(running.indexOf(first.engine), 1)

    const second = boot(echo)
    expect(await second.engine.recover('acme')).toMatchObject({ turns: 1 })
    await until(() => second.channel.sent.length === 1)
    expect(second.channel.sent[0]!.text).toBe('echo: slow question')
  })

  it('re-arms a reply that was waiting out a Retry-After when the process stopped', async () => {
    const channel = new RecordingChannel()
    channel.outcomes = [{ status: 'retry', afterMs: 200, error: '429' }]
    const first = boot(echo, channel)
    await first.engine.receive(message('1', 'later'))
    await until(() => channel.sent.length === 1)
    await first.engine.close(100)
    running.splice(running.indexOf(first.engine), 1)

    const second = boot(echo)
    expect(await second.engine.recover('acme')).toEqual({ turns: 0, replies: 1 })
    await until(() => second.channel.sent.length === 1)
    expect(second.channel.sent[0]).toMatchObject({ text: 'echo: later', attempt: 2 })
  })

  it('apologises for a turn that overran its deadline and lets it wind down before the next turn starts', async () => {
    turnTimeoutMs = 100
    const events: string[] = []
    const stubborn = async (text: string) => {
      events.push(`start ${text}`)
      if (text === 'slow') await new Promise((r) => setTimeout(r, 400)) // ignores the abort
      events.push(`end ${text}`)
      return echo(text)
    }
    const { engine, channel } = boot(stubborn)
    await engine.receive(message('1', 'slow'))
    await engine.receive(message('2', 'fast'))
    await until(() => channel.sent.some((d) => d.text === 'echo: fast'))
    expect(channel.sent[0]!.text).toMatch(/^Sorry/)
    expect(events).toEqual(['start slow', 'end slow', 'start fast', 'end fast'])
  })

  describe('a message from outside a turn (a human agent, the desk)', () => {
    const agentSays = (text: string) => ({ tenant: 'acme', conversationId, text, sender: { id: 'k_ana', role: 'agent' as const, name: 'Ana' } })

    it('takes its place in seq order between the bot’s replies and goes out through the outbox', async () => {
      const { engine, channel, store } = boot(echo)
      await engine.receive(message('1', 'hi'))
      await until(() => channel.sent.length === 1)
      expect(await engine.deliver(agentSays('Ana here, let me check your order.'))).toEqual([{ messageId: expect.stringMatching(/^m_/), seq: 2 }])
      await engine.receive(message('2', 'thanks'))
      await until(() => channel.sent.length === 3)
      expect(channel.sent.map((d) => [d.seq, d.text])).toEqual([
        [1, 'echo: hi'],
        [2, 'Ana here, let me check your order.'],
        [3, 'echo: thanks'],
      ])
      const said = (await new TranscriptRepository(t.db).outboundAfter('acme', conversationId, 1, 1))[0]!
      expect(said).toMatchObject({ senderId: 'k_ana', senderRole: 'agent', annotations: { senderName: 'Ana' } })
      // Marked sent in the background once the channel took it.
      for (let i = 0; i < 500 && (await store.pendingOutbox({ tenant: 'acme' })).length > 0; i++) await new Promise((r) => setTimeout(r, 10))
      expect(await store.pendingOutbox({ tenant: 'acme' })).toEqual([])
    })

    it('splits a long message to the channel’s limit and keeps hints on it, as for the bot', async () => {
      const { engine, channel } = boot(echo)
      const long = 'Your refund was approved today. It reaches your card in three to five days.'
      const written = await engine.deliver({ ...agentSays(long), hints: { handoff: true } })
      expect(written.map((w) => w.seq)).toEqual([1, 2])
      await until(() => channel.sent.length === 2)
      expect(channel.sent.map((d) => d.text).join(' ')).toBe(long)
      expect(channel.sent[1]!.hints).toMatchObject({ handoff: true })
    })

    it('pushes to a resumable channel with no outbox row: the client resumes from the transcript', async () => {
      const channel = new RecordingChannel()
      channel.outcomes = [{ status: 'deferred' }]
      const { engine, store } = boot(echo, channel, new DeliveryStore(t.db), true)
      await engine.deliver({ tenant: 'acme', conversationId, text: 'You are number 2 in line.', sender: { id: 'handoff', role: 'system' } })
      await until(() => channel.sent.length === 1)
      expect(await store.pendingOutbox({ tenant: 'acme' })).toEqual([])
      expect((await new TranscriptRepository(t.db).outboundAfter('acme', conversationId, 0)).map((m) => [m.seq, m.senderRole, m.text])).toEqual([[1, 'system', 'You are number 2 in line.']])
    })

    it('finds the next free seq when another replica wrote to the conversation meanwhile', async () => {
      const here = boot(echo)
      const there = boot(echo)
      await here.engine.deliver(agentSays('one'))
      await there.engine.deliver(agentSays('two'))
      await here.engine.deliver(agentSays('three'))
      expect((await new TranscriptRepository(t.db).outboundAfter('acme', conversationId, 0)).map((m) => [m.seq, m.text])).toEqual([
        [1, 'one'],
        [2, 'two'],
        [3, 'three'],
      ])
    })

    it('refuses an unknown conversation, and one whose channel is not running', async () => {
      const { engine } = boot(echo)
      await expect(engine.deliver({ ...agentSays('hello'), conversationId: 'nope' })).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
      const elsewhere = await new ConversationRepository(t.db).ensure({ tenant: 'acme', channel: 'test', instance: 'gone', externalId: 'u2', userId: 'u2' })
      engine.attach(() => ({ pipeline: new Pipeline([]), log: silent, locale: 'en', signal: new AbortController().signal, channel: () => undefined }))
      await expect(engine.deliver({ ...agentSays('hello'), conversationId: elsewhere.id })).rejects.toMatchObject({ code: 'SB_ERR_CHANNEL_UNAVAILABLE' })
    })
  })

  it('refuses new messages once closing, so the client keeps them and resends', async () => {
    const { engine } = boot(echo)
    await engine.close(100)
    await expect(engine.receive(message('1', 'late'))).rejects.toMatchObject({ code: 'SB_ERR_SHUTTING_DOWN' })
  })
})
