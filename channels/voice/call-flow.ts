import type { Logger } from 'pino'
import { sbError, type ChannelDeliveryPort, type ConversationLinks, type ConversationRepository, type InboundActivity, type Option, type TranscriptRepository } from '../../core/index.js'
import type { CallRequest } from './call-request.js'
import type { CallUrls, Pickup, Step } from './call-urls.js'
import { decodeGather, type Listening, type Owner } from './inbound.js'
import type { VoiceConfig } from './manifest.js'
import type { Prompts } from './prompts.js'
import { menuOf, spokenAnswer, type SpokenAnswer } from './replies.js'
import type { ReplyWaiter } from './reply-waiter.js'
import { farewell, holdOn, listen, nothing, transfer, type CallVoice } from './twiml.js'

export interface CallFlowDeps {
  owner: Owner
  config: Pick<VoiceConfig, 'handoff' | 'answerWithinMs' | 'maxRedirects' | 'maxLowConfidence' | 'maxNoInput' | 'lowConfidence'>
  prompts: Prompts
  voice: CallVoice
  urls: CallUrls
  links: ConversationLinks
  delivery: ChannelDeliveryPort
  conversations: ConversationRepository
  transcript: TranscriptRepository
  waiter: ReplyWaiter
  log: Logger
}

/** Statuses after which a call is over: its conversation is closed. */
const ENDED = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled'])
/** How a `<Dial>` (DialCallStatus) or `<Enqueue>` (QueueResult) ends when the caller did talk to someone. */
const CONNECTED = new Set(['completed', 'answered', 'bridged', 'bridging-in-process', 'hangup'])

/**
 * What the channel answers at each point of a call. Everything it needs comes from the request
 * (its signed URL carries the step) and the store, so any replica answers any request, and a
 * redelivered one gets the same TwiML. The caller never hears an error: a store that fails gets
 * an apology and another chance to speak.
 */
export class CallFlow {
  readonly #listening: Listening

  constructor(private readonly deps: CallFlowDeps) {
    this.#listening = { language: deps.voice.language, lowConfidence: deps.config.lowConfidence }
  }

  /** A call comes in: it becomes a conversation, the caller is greeted and asked what they need. */
  async incoming(call: CallRequest): Promise<string> {
    // A store that fails here is met again, and linked then, when the caller first speaks.
    await this.#conversation(call).catch((error: Error) => this.deps.log.warn({ err: error, call: call.callSid }, 'could not record the call yet'))
    return listen(this.deps.voice, [this.deps.prompts.greeting], this.deps.urls.turn({ after: 0, n: 1 }))
  }

  /** The caller said or pressed something (or nothing) at `step`. */
  async turn(call: CallRequest, step: Step): Promise<string> {
    const request = { step: step.n, params: call.params }
    const heard = decodeGather(request, this.deps.owner, this.#listening)
    if (heard.kind === 'silence') return this.#silence(step)
    if (heard.kind === 'unclear') return this.#unclear(step, heard.confidence, call)
    let activity: InboundActivity
    let turnId: string
    let fresh: boolean
    try {
      const conversationId = await this.#conversation(call)
      const menu = step.menu === undefined ? undefined : await this.#menu(conversationId, step.menu)
      const decoded = menu ? decodeGather({ ...request, menu }, this.deps.owner, this.#listening) : heard
      const said = decoded.kind === 'said' ? decoded.activity : heard.activity
      activity = { ...said, conversation: { ...said.conversation, id: conversationId } }
      // A redelivered request is a duplicate here, and waits for the same turn's replies.
      const accepted = await this.deps.delivery.receive(activity)
      turnId = accepted.turnId
      fresh = accepted.status === 'accepted'
    } catch (error) {
      this.deps.log.error({ err: error, call: call.callSid, step: step.n }, 'could not take what the caller said; asking again')
      return listen(this.deps.voice, [this.deps.prompts.apology], this.deps.urls.turn(step), { menu: step.menu !== undefined })
    }
    return this.#answer(activity.conversation.id, { after: step.after, n: step.n }, turnId, 0, fresh)
  }

  /** Back after a filler, for the answer that was not ready. */
  async pickup(call: CallRequest, pickup: Pickup): Promise<string> {
    let conversationId: string
    try {
      conversationId = await this.#conversation(call)
    } catch (error) {
      this.deps.log.warn({ err: error, call: call.callSid }, 'could not find the call to pick its answer up')
      return this.#notReady(pickup, pickup.turn, pickup.try)
    }
    return this.#answer(conversationId, pickup, pickup.turn, pickup.try)
  }

  /** A transfer ended: done when someone talked to the caller, otherwise back to the bot. */
  async dialed(call: CallRequest, step: Step): Promise<string> {
    const outcome = call.params.DialCallStatus ?? call.params.QueueResult ?? 'unknown'
    this.deps.log.info({ call: call.callSid, outcome }, 'transfer ended')
    if (CONNECTED.has(outcome)) return farewell(this.deps.voice, [this.deps.prompts.goodbye])
    return listen(this.deps.voice, [this.deps.prompts.transferFailed], this.deps.urls.turn({ after: step.after, n: step.n }))
  }

  /** A status callback: an ended call closes its conversation, once; every other status changes nothing. */
  async status(call: CallRequest): Promise<string> {
    const status = call.params.CallStatus ?? ''
    if (!ENDED.has(status)) return nothing()
    let closed: boolean
    let conversationId: string
    try {
      conversationId = await this.#conversation(call)
      closed = await this.deps.conversations.close(this.deps.owner.tenant, conversationId)
    } catch (error) {
      throw sbError('SB_ERR_STORE_UNAVAILABLE', 'the call could not be recorded as ended', [], error)
    }
    if (closed) this.deps.log.info({ call: call.callSid, status, conversation: conversationId }, 'call ended')
    return nothing()
  }

  async #answer(conversationId: string, step: Step, turnId: string, fillers: number, justAccepted = false): Promise<string> {
    const replies = await this.deps.waiter.replies(conversationId, turnId, step.after, this.deps.config.answerWithinMs, { justAccepted }).catch((error: Error) => {
      this.deps.log.warn({ err: error, conversation: conversationId, turn: turnId }, 'could not read the answer yet')
      return undefined
    })
    if (replies) return this.#speak(spokenAnswer(replies, this.deps.prompts.menuOption), step)
    return this.#notReady(step, turnId, fillers)
  }

  #notReady(step: Step, turnId: string, fillers: number): string {
    const { voice, prompts, urls, config } = this.deps
    if (fillers < config.maxRedirects) return holdOn(voice, prompts.filler, urls.pickup({ after: step.after, n: step.n, turn: turnId, try: fillers + 1 }))
    // The answer may still come; it stays in the transcript, and the caller is not kept waiting for it.
    const next = { after: step.after, n: step.n + 1 }
    if (config.handoff) return transfer(voice, [prompts.delayed, prompts.transferring], config.handoff, urls.dial(next))
    return listen(voice, [prompts.apology], urls.turn(next))
  }

  #speak(answer: SpokenAnswer, step: Step): string {
    const { voice, prompts, urls, config } = this.deps
    const next: Step = { after: Math.max(step.after, answer.lastSeq), n: step.n + 1, ...(answer.menu ? { menu: answer.menu.seq } : {}) }
    if (answer.handoff && config.handoff) return transfer(voice, answer.lines, config.handoff, urls.dial(next))
    const lines = answer.handoff ? [...answer.lines, prompts.noTransfer] : answer.lines
    return listen(voice, lines, urls.turn(next), { menu: answer.menu !== undefined })
  }

  #silence(step: Step): string {
    const { voice, prompts, urls, config } = this.deps
    const quiet = (step.quiet ?? 0) + 1
    if (quiet >= config.maxNoInput) return farewell(voice, [prompts.goodbye])
    return listen(voice, [prompts.noInputPrompt], urls.turn({ ...step, quiet }), { menu: step.menu !== undefined })
  }

  #unclear(step: Step, confidence: number, call: CallRequest): string {
    const { voice, prompts, urls, config, log } = this.deps
    const low = (step.low ?? 0) + 1
    log.debug({ call: call.callSid, step: step.n, confidence, low }, 'speech below the confidence threshold')
    if (low < config.maxLowConfidence) return listen(voice, [prompts.reprompt], urls.turn({ ...step, low }), { menu: step.menu !== undefined })
    const fresh = { ...step, low: 0, quiet: 0 }
    if (config.handoff) return transfer(voice, [prompts.transferring], config.handoff, urls.dial(fresh))
    return listen(voice, [prompts.noTransfer], urls.turn(fresh), { menu: step.menu !== undefined })
  }

  /** The call's conversation: one per CallSid, created by whichever request comes first. */
  #conversation(call: CallRequest): Promise<string> {
    const name = call.params.CallerName?.trim()
    return this.deps.links.resolve({ externalId: call.callSid, userId: call.from, locale: this.deps.voice.language, ...(name ? { userName: name } : {}) })
  }

  /** The options of the menu offered in reply `seq`, read back from the transcript. */
  async #menu(conversationId: string, seq: number): Promise<Option[] | undefined> {
    const [reply] = await this.deps.transcript.outboundAfter(this.deps.owner.tenant, conversationId, seq - 1, 1)
    return reply?.seq === seq ? menuOf(reply.parts) : undefined
  }
}
