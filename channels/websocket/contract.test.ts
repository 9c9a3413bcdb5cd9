import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describeChannelContract, type ContractPlatform, type GatewayAddress, type NormalisationCase } from '../../test/contract/channel-contract.js'
import { waitUntil } from '../../test/contract/wait.js'
import { ChatClient } from '../../test/harness/ws-client.js'
import { toActivity } from './inbound.js'
import { manifest } from './manifest.js'
import { decodeFrame } from './protocol.js'

const isOpen = (client: ChatClient) => client.ws !== undefined && client.ws.readyState === client.ws.OPEN
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/frames.json', import.meta.url), 'utf8')) as NormalisationCase[]
const session = { tenant: 'contract', instance: 'web', conversationId: 'c-1', visitorId: 'v_1' }

describeChannelContract({
  type: 'websocket',
  // A forbidden page origin is refused at the upgrade; a forged session token in hello gets an error frame.
  rejectedStatuses: [403, 'SB_ERR_AUTH_INVALID'],
  maxTextLength: manifest.capabilities.maxTextLength,
  measure: (text) => text.length,
  fixtures,
  normalise(raw) {
    const decoded = decodeFrame(raw as string)
    if (!decoded.ok || (decoded.frame.type !== 'message' && decoded.frame.type !== 'postback')) return undefined
    return toActivity(decoded.frame, session, new Date(0))
  },
  platform: async () => new WebchatVisitors(),
})

/**
 * Web chat's "platform" is the visitors' browsers. Its 429 and its crash case are a visitor whose
 * socket died after the reply was written but before they read it: the reply waits in the
 * transcript and arrives, once, when they resume.
 */
class WebchatVisitors implements ContractPlatform {
  readonly #visitors = new Map<string, ChatClient>()
  readonly #offline = new Map<string, { seconds: number; held?: boolean }>()
  readonly #throttles = new Map<string, { refusedAt: number; retriedAt?: number }>()
  readonly #heldReplies = new Map<string, Promise<void>>()
  #reconnecting = new Map<string, Promise<void>>()
  #wsUrl = ''

  channelConfig(gateway: GatewayAddress) {
    this.#wsUrl = `${gateway.url.replace('http', 'ws')}/t/${gateway.tenant}/ws`
    return {}
  }

  async connected(): Promise<void> {
    await Promise.all([...this.#visitors.values()].map((client) => client.connect()))
  }

  message(user: string, text: string) {
    return { user, text, id: randomUUID() }
  }

  async deliver(message: { user: string; text: string; id: string }, credentials: 'valid' | 'missing' | 'forged' = 'valid') {
    if (credentials === 'missing') {
      const stranger = new ChatClient(this.#wsUrl, { origin: 'https://evil.example' })
      return stranger.open().then(
        () => (stranger.close(), { accepted: true, status: 101 }),
        (error: { status?: number }) => ({ accepted: false, status: error.status ?? 0 }),
      )
    }
    if (credentials === 'forged') {
      const impostor = new ChatClient(this.#wsUrl)
      impostor.token = 'v1.forged.session'
      const welcome = await impostor.connect().catch(() => ({ type: 'error', code: 'closed' }))
      impostor.close()
      return { accepted: false, status: String(welcome.code ?? welcome.type) }
    }
    await this.#reconnecting.get(message.user)
    const offline = this.#offline.get(message.user)
    if (offline) return this.#deliverThenDrop(message, offline)
    try {
      const visitor = await this.#visitor(message.user)
      const ack = await visitor.say(message.text, message.id)
      return { accepted: ack.type === 'ack', status: String(ack.type === 'ack' ? 'ack' : ack.code) }
    } catch (error) {
      return { accepted: false, status: (error as { status?: number }).status ?? String(error) }
    }
  }

  received(user: string): string[] {
    return this.#visitors.get(user)?.messages.map((m) => m.text) ?? []
  }

  throttleNextSend(user: string, seconds: number): void {
    this.#offline.set(user, { seconds })
  }

  throttleTimes(user: string) {
    const times = this.#throttles.get(user)
    return times?.retriedAt === undefined ? undefined : { refusedAt: times.refusedAt, retriedAt: times.retriedAt }
  }

  holdNextSend(user: string): void {
    this.#offline.set(user, { seconds: 0, held: true })
  }

  async held(user: string): Promise<void> {
    await waitUntil(() => this.#heldReplies.has(user), `a held reply for ${user}`)
    await this.#heldReplies.get(user)
  }

  release(): void {}

  async openConnections(): Promise<number> {
    return [...this.#visitors.values()].filter(isOpen).length
  }

  async close(): Promise<void> {
    for (const client of this.#visitors.values()) client.close()
  }

  async #visitor(user: string): Promise<ChatClient> {
    let visitor = this.#visitors.get(user)
    if (!visitor) {
      visitor = new ChatClient(this.#wsUrl)
      this.#visitors.set(user, visitor)
    }
    if (!isOpen(visitor)) await visitor.connect()
    return visitor
  }

  /**
   * Sends from a second socket that reads the reply (so it was persisted and written) without
   * showing it, then dies; the visitor's own client resumes later from what it has seen.
   */
  async #deliverThenDrop(message: { user: string; text: string; id: string }, offline: { seconds: number; held?: boolean }) {
    this.#offline.delete(message.user)
    const visitor = this.#visitors.get(message.user) ?? new ChatClient(this.#wsUrl)
    this.#visitors.set(message.user, visitor)
    visitor.close()
    const doomed = new ChatClient(this.#wsUrl)
    doomed.token = visitor.token
    doomed.lastSeq = visitor.lastSeq
    await doomed.connect()
    visitor.token = doomed.token
    const ack = await doomed.say(message.text, message.id)
    const replyWritten = doomed.reply().then(() => doomed.ws.terminate())
    if (offline.held) {
      this.#heldReplies.set(message.user, replyWritten)
    } else {
      this.#reconnecting.set(
        message.user,
        replyWritten.then(async () => {
          const times = { refusedAt: Date.now() } as { refusedAt: number; retriedAt?: number }
          this.#throttles.set(message.user, times)
          await new Promise((resolve) => setTimeout(resolve, offline.seconds * 1000))
          const seen = visitor.messages.length
          await visitor.connect()
          void waitUntil(() => visitor.messages.length > seen, 'the resumed reply').then(() => (times.retriedAt = Date.now()))
        }),
      )
    }
    return { accepted: ack.type === 'ack', status: String(ack.type) }
  }
}
