import { parseWebhookJson } from '../../core/index.js'
import { describeChannelContract, FakePlatform, type ContractPlatform, type Credentials, type GatewayAddress, type PlatformMessage } from '../../test/contract/channel-contract.js'
import { startFakeBotFramework, type ChannelAccount, type FakeBotFramework, type TeamsActivity } from '../../test/fakes/bot-framework.js'
import { teamsFixtures } from './fixtures/index.js'
import { decodeActivity } from './inbound.js'
import { manifest } from './manifest.js'

describeChannelContract({
  type: 'teams',
  // No or a forged token: 401; a key not endorsed for Teams: 403.
  rejectedStatuses: [401, 403],
  maxTextLength: manifest.capabilities.maxTextLength,
  // Teams counts UTF-16, as JavaScript strings do.
  measure: (text) => text.length,
  fixtures: teamsFixtures,
  // As the webhook does it: the bytes through core's JSON parser, then the pure decode.
  normalise: (raw) => decodeActivity(parseWebhookJson(Buffer.from(JSON.stringify(raw))), { tenant: 'contract', instance: 'chan' }, new Date(0))?.activity,
  platform: async () => new TeamsUsers(await startFakeBotFramework({ throttling: false })),
})

/**
 * Teams as the kit sees it: each user is a person in the fake's tenant with a 1:1 chat with the
 * bot; delivering is Teams posting a signed activity to the gateway; what a user received is what
 * the fake connector recorded in that chat.
 */
class TeamsUsers extends FakePlatform<FakeBotFramework> implements ContractPlatform {
  readonly #sent = new Map<string, TeamsActivity>()
  #endpoint = ''


  channelConfig(gateway: GatewayAddress) {
    this.#endpoint = `${gateway.url}/t/${gateway.tenant}/${gateway.instance}/messages`
    return {
      appId: this.fake.appId,
      appPassword: this.fake.appPassword,
      openIdMetadataUrl: this.fake.openIdMetadataUrl,
      tokenUrl: this.fake.tokenUrl,
      serviceUrls: [this.fake.serviceUrl],
    }
  }

  message(user: string, text: string): PlatformMessage {
    const activity = this.fake.activities.message({ from: this.#account(user), text })
    this.#sent.set(activity.id, activity)
    return { user, text, id: activity.id }
  }

  async deliver(message: PlatformMessage, credentials: Credentials = 'valid') {
    const activity = this.#sent.get(message.id) ?? this.fake.activities.message({ from: this.#account(message.user), text: message.text, id: message.id })
    // A forgery: a well-formed token under the channel's key id, signed with a key it never published.
    const token = credentials === 'missing' ? null : credentials === 'forged' ? await this.fake.channelToken({ key: 'stranger' }) : undefined
    const result = await this.fake.deliver(activity, { url: this.#endpoint, token })
    return { accepted: typeof result.status === 'number' && result.status >= 200 && result.status < 300, status: result.status }
  }

  received(user: string): string[] {
    return this.fake.textsIn(this.#conversation(user))
  }

  throttleNextSend(user: string, seconds: number): void {
    this.fake.fault({ status: 429, retryAfter: seconds, on: 'send', conversationId: this.#conversation(user), activityType: 'message' })
  }

  throttleTimes(user: string) {
    const conversationId = this.#conversation(user)
    const sends = this.fake.requests.filter((r) => r.kind === 'send' && r.conversationId === conversationId && r.body?.type === 'message')
    const refused = sends.findIndex((r) => r.status === 429)
    const retry = refused < 0 ? undefined : sends[refused + 1]
    return retry ? { refusedAt: sends[refused]!.at, retriedAt: retry.at } : undefined
  }

  holdNextSend(user: string): void {
    this.fake.fault({ kind: 'hang', on: 'send', conversationId: this.#conversation(user), activityType: 'message' })
  }

  async held(user: string): Promise<void> {
    const conversationId = this.#conversation(user)
    await this.fake.waitFor(() => this.fake.requests.some((r) => r.fault === 'hang' && r.conversationId === conversationId), 30_000)
  }


  #account(user: string): ChannelAccount {
    return this.fake.activities.userNamed(user)
  }

  #conversation(user: string): string {
    return this.fake.activities.personalConversationWith(this.#account(user))
  }
}
