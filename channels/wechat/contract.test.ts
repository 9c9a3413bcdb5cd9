import { describeChannelContract, FakePlatform, type ContractPlatform, type Credentials, type GatewayAddress, type PlatformMessage } from '../../test/contract/channel-contract.js'
import { startFakeWeChat, type FakeOfficialAccount, type FakeWeChat, type WeChatMessage } from '../../test/fakes/wechat.js'
import { fixtures } from './fixtures/index.js'
import { normalise } from './inbound.js'

describeChannelContract({
  type: 'wechat',
  // A missing or forged signature is 401, as WeChat's SDKs answer.
  rejectedStatuses: [401, 403],
  // WeChat counts a text message in UTF-8 bytes; the manifest's 682 UTF-16 units stay within 2048 of them.
  maxTextLength: 2048,
  measure: (text) => Buffer.byteLength(text, 'utf8'),
  fixtures,
  normalise: (raw) => normalise(raw, { tenant: 'contract', instance: 'chan', locale: 'zh-CN' }),
  // Quotas off: the kit's long reply is more than the five messages WeChat allows after one message.
  platform: async () => new WeChatPlatform(await startFakeWeChat({ quotas: false })),
})

/**
 * An Official Account in safe mode as the kit sees it: users are openids of the fake account,
 * messages are encrypted callbacks its deliverer POSTs, replies are what its customer-service API
 * took. Passive replies are off here (they would answer the kit's 429 and crash cases before the
 * API is reached); webhook.test.ts covers them.
 */
class WeChatPlatform extends FakePlatform<FakeWeChat> implements ContractPlatform {
  readonly #app: FakeOfficialAccount
  readonly #messages = new Map<string, WeChatMessage>()
  #url = ''

  constructor(fake: FakeWeChat) {
    super(fake)
    this.#app = fake.officialAccount({ mode: 'safe' })
  }

  channelConfig(gateway: GatewayAddress) {
    this.#url = `${gateway.url}/t/${gateway.tenant}/${gateway.instance}/callback`
    const app = this.#app
    return { transport: 'official-account', appId: app.appId, appSecret: app.appSecret, token: app.token, encodingAESKey: app.encodingAesKey, apiRoot: this.fake.apiRoot, passiveReplyWaitMs: 0 }
  }

  message(user: string, text: string): PlatformMessage {
    const message = this.#app.messages.text(this.#app.user(user), text)
    this.#messages.set(message.msgId!, message)
    return { user, text, id: message.msgId! }
  }

  async deliver(message: PlatformMessage, credentials: Credentials = 'valid') {
    const callback = this.#messages.get(message.id) ?? this.#app.messages.text(this.#app.user(message.user), message.text)
    // Once: the kit redelivers by itself, and WeChat's own retries are webhook.test.ts's business.
    const outcome = await this.#app.deliver(callback, { url: this.#url, credentials, retries: false })
    return { accepted: outcome.accepted, status: outcome.status }
  }

  received(user: string): string[] {
    return this.#app.textsTo(this.#app.user(user))
  }

  /** WeChat has no Retry-After: its "slow down" is errcode 45009, and the channel pauses at least a second. */
  throttleNextSend(user: string): void {
    this.fake.fault({ path: 'custom/send', user: this.#app.user(user), errcode: 45009, errmsg: 'reach max api daily quota limit' })
  }

  throttleTimes(user: string) {
    const sends = this.#sendsTo(user)
    const refused = sends.findIndex((call) => call.errcode === 45009)
    const retried = sends[refused + 1]
    return refused < 0 || !retried ? undefined : { refusedAt: sends[refused]!.at, retriedAt: retried.at }
  }

  holdNextSend(user: string): void {
    this.fake.fault({ path: 'custom/send', user: this.#app.user(user), hang: true })
  }

  async held(user: string): Promise<void> {
    await this.fake.waitFor(() => this.#sendsTo(user).some((call) => call.fault === 'hang'), 30_000)
  }

  #sendsTo(user: string) {
    const openid = this.#app.user(user)
    return this.fake.callsTo('custom/send').filter((call) => (call.body as { touser?: string } | undefined)?.touser === openid)
  }
}
