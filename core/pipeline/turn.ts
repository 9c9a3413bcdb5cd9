import type { Logger } from 'pino'
import { Reply, type ConversationRef, type InboundActivity } from '../message/index.js'

/**
 * What plugins share during one turn. Plugins add typed keys by declaration merging next to the
 * code that writes them:
 *
 * @example
 * declare module '../../core/pipeline/turn.js' { interface TurnState { intent?: Intent } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TurnState {}

export interface Turn {
  readonly id: string
  readonly tenant: string
  readonly activity: InboundActivity
  readonly conversation: ConversationRef
  readonly state: TurnState
  /** Recorded on the inbound transcript row: intent, sentiment, sources, provider… */
  readonly annotations: Record<string, unknown>
  readonly log: Logger
  /** Aborted when the turn's deadline passes or the tenant stops. */
  readonly signal: AbortSignal
  readonly replies: readonly Reply[]
  /** Adds a reply; inbound middlewares may answer without reaching the respond stage. */
  say(reply: Reply | string): void
}

export interface TurnInit {
  id: string
  activity: InboundActivity
  log: Logger
  signal: AbortSignal
}

export function createTurn(init: TurnInit): Turn {
  const replies: Reply[] = []
  return {
    id: init.id,
    tenant: init.activity.tenant,
    activity: init.activity,
    conversation: init.activity.conversation,
    state: {},
    annotations: {},
    log: init.log,
    signal: init.signal,
    replies,
    say(reply) {
      replies.push(typeof reply === 'string' ? { parts: [{ type: 'text', text: reply }] } : Reply.parse(reply))
    },
  }
}
