import { describeChannelContract, FakePlatform, type ContractPlatform, type Credentials, type GatewayAddress, type PlatformMessage } from '../../test/contract/channel-contract.js'
import { createFakeTwilio, type FakeCall, type FakeTwilio } from '../../test/fakes/twilio.js'
import { fixtures } from './fixtures/index.js'
import { normalise } from './inbound.js'
import { manifest } from './manifest.js'
import { promptsFor } from './prompts.js'

describeChannelContract({
  type: 'voice',
  // Twilio's only credential is X-Twilio-Signature; a missing or forged one is 403.
  rejectedStatuses: [403],
  maxTextLength: manifest.capabilities.maxTextLength,
  // A `<Say>` takes 4096 characters, counted as JavaScript counts them.
  measure: (text) => text.length,
  fixtures,
  normalise: (raw) => normalise(raw, { tenant: 'contract', instance: 'chan' }),
  platform: async () => new VoicePlatform(createFakeTwilio()),
})

/** What the channel itself says (greeting, fillers, prompts): not replies. */
const PROMPTS = new Set(Object.values(promptsFor({}, 'en-US')))

type Fault = { drop: number } | 'hold'

/**
 * The phone as the kit sees it: a user is one call (placed when their first message is due, and
 * again after a refused request ended it), a message is an utterance into the Gather the call
 * waits in, and a redelivery is Twilio sending that request again. What a user received is what
 * the caller heard in answer, without the channel's own prompts.
 */
class VoicePlatform extends FakePlatform<FakeTwilio> implements ContractPlatform {
  #gateway: GatewayAddress | undefined
  /** Every call each user placed, in order. */
  readonly #calls = new Map<string, FakeCall[]>()
  /** Each user's current call, once it was answered and waits for them to speak. */
  readonly #current = new Map<string, Promise<FakeCall>>()
  readonly #said = new Set<string>()
  readonly #faults = new Map<string, Fault>()
  #messages = 0

  channelConfig(gateway: GatewayAddress) {
    this.#gateway = gateway
    return { accountSid: this.fake.accountSid, authToken: this.fake.authToken, publicUrl: gateway.url }
  }

  /** After a restart, a call whose answer was lost asks again, and the new process answers it from the transcript. */
  async connected(gateway: GatewayAddress): Promise<void> {
    this.#gateway = gateway
    const lost = [...this.#calls.values()].flat().filter((call) => call.holds.some((hold) => hold.releasedAt !== undefined && hold.retriedAt === undefined))
    await Promise.all(lost.map((call) => call.retryDropped()))
  }

  message(user: string, text: string): PlatformMessage {
    return { user, text, id: `utterance-${++this.#messages}` }
  }

  async deliver(message: PlatformMessage, credentials: Credentials = 'valid') {
    const call = await this.#callOf(message.user)
    if (this.#said.has(message.id)) return outcome((await call.repeatLastRequest()).status)
    this.#said.add(message.id)
    if (credentials !== 'valid') call.tamperNextSignature(credentials)
    const fault = this.#faults.get(message.user)
    this.#faults.delete(message.user)
    if (fault === 'hold') call.holdNextAnswer()
    else if (fault) call.dropNextAnswer({ retryAfterMs: fault.drop })
    await call.say(message.text)
    // Twilio ends a call whose webhook was refused; the user's next message is a new call.
    if (call.ended) this.#current.delete(message.user)
    return outcome(call.requests.findLast((r) => r.purpose === 'gather' && !r.redelivery && r.params.SpeechResult === message.text)?.status ?? 0)
  }

  received(user: string): string[] {
    return (this.#calls.get(user) ?? []).flatMap((call) => call.heard.filter((h) => h.kind === 'say' && !PROMPTS.has(h.text)).map((h) => h.text))
  }

  throttleNextSend(user: string, seconds: number): void {
    this.#faults.set(user, { drop: seconds * 1000 })
  }

  throttleTimes(user: string) {
    const drop = (this.#calls.get(user) ?? []).flatMap((call) => call.drops).find((d) => d.retriedAt !== undefined)
    return drop ? { refusedAt: drop.droppedAt, retriedAt: drop.retriedAt! } : undefined
  }

  holdNextSend(user: string): void {
    this.#faults.set(user, 'hold')
  }

  async held(user: string): Promise<void> {
    await (await this.#callOf(user)).waitHeld()
  }

  #callOf(user: string): Promise<FakeCall> {
    let current = this.#current.get(user)
    if (!current) this.#current.set(user, (current = this.#place(user)))
    return current
  }

  #place(user: string): Promise<FakeCall> {
    const base = `${this.#gateway!.url}/t/${this.#gateway!.tenant}/${this.#gateway!.instance}`
    const call = this.fake.call({ voiceUrl: `${base}/incoming`, statusCallback: `${base}/status` })
    this.#calls.set(user, [...(this.#calls.get(user) ?? []), call])
    return call.waitingForInput().then(() => call)
  }
}

const outcome = (status: number) => ({ accepted: status >= 200 && status < 300, status })
