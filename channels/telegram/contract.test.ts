import { describeChannelContract, FakePlatform, type ContractPlatform, type Credentials, type GatewayAddress, type PlatformMessage } from '../../test/contract/channel-contract.js'
import { startFakeTelegram, type FakeTelegram } from '../../test/fakes/telegram.js'
import { fixtures } from './fixtures/index.js'
import { normalise } from './inbound.js'
import { manifest } from './manifest.js'

describeChannelContract({
  type: 'telegram',
  // Telegram's only credential is the secret token header; a missing or wrong one is 403.
  rejectedStatuses: [403],
  maxTextLength: manifest.capabilities.maxTextLength,
  // Telegram counts message length in UTF-16 units, as JavaScript does.
  measure: (text) => text.length,
  fixtures,
  normalise: (raw) => normalise(raw, { tenant: 'contract', instance: 'chan' }),
  platform: async () => new TelegramPlatform(await startFakeTelegram({ limits: false })),
})

/**
 * Telegram as the kit sees it: users are private chats of the fake, messages are updates its
 * deliverer POSTs to the webhook the channel registered, replies are what its Bot API accepted.
 */
class TelegramPlatform extends FakePlatform<FakeTelegram> implements ContractPlatform {
  readonly #chats = new Map<string, number>()
  readonly #updates = new Map<string, Parameters<FakeTelegram['deliver']>[0]>()
  /** The webhook as last registered: deliveries still go there after the channel deleted it. */
  #webhook: { url: string; secret?: string } | undefined


  channelConfig(gateway: GatewayAddress) {
    return { botToken: this.fake.token, apiRoot: this.fake.apiRoot, publicUrl: gateway.url }
  }

  /** The channel registers its webhook in the background; the kit starts delivering once it has. */
  async connected(gateway: GatewayAddress): Promise<void> {
    const path = `/t/${gateway.tenant}/${gateway.instance}/webhook`
    this.#webhook = await this.fake.waitFor(() => (this.fake.webhook.url.endsWith(path) ? { ...this.fake.webhook } : undefined), 15_000)
  }

  message(user: string, text: string): PlatformMessage {
    const update = this.fake.updates.message({ chatId: this.#chat(user), text })
    const id = String(update.update_id)
    this.#updates.set(id, update)
    return { user, text, id }
  }

  async deliver(message: PlatformMessage, credentials: Credentials = 'valid') {
    const update = this.#updates.get(message.id) ?? this.fake.updates.message({ chatId: this.#chat(message.user), text: message.text })
    const secret = credentials === 'missing' ? null : credentials === 'forged' ? `${this.#webhook?.secret ?? ''}forged` : this.#webhook?.secret
    const result = await this.fake.deliver(update, { url: this.#webhook?.url, secret })
    return { accepted: result.status >= 200 && result.status < 300, status: result.status || (result.error ?? 0) }
  }

  received(user: string): string[] {
    return this.fake.textsTo(this.#chat(user))
  }

  throttleNextSend(user: string, seconds: number): void {
    this.fake.fault({ method: 'sendMessage', chatId: this.#chat(user), status: 429, retryAfter: seconds })
  }

  throttleTimes(user: string) {
    const sends = this.#sendsTo(user)
    const refused = sends.findIndex((call) => call.status === 429)
    const retried = sends[refused + 1]
    return refused < 0 || !retried ? undefined : { refusedAt: sends[refused]!.at, retriedAt: retried.at }
  }

  holdNextSend(user: string): void {
    this.fake.fault({ method: 'sendMessage', chatId: this.#chat(user), hang: true })
  }

  async held(user: string): Promise<void> {
    await this.fake.waitFor(() => this.#sendsTo(user).some((call) => call.fault === 'hang'), 30_000)
  }


  #chat(user: string): number {
    let chat = this.#chats.get(user)
    if (chat === undefined) this.#chats.set(user, (chat = 5_550_000 + this.#chats.size))
    return chat
  }

  #sendsTo(user: string) {
    const chat = this.#chat(user)
    return this.fake.callsTo('sendMessage').filter((call) => Number(call.params.chat_id) === chat)
  }
}
