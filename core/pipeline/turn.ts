import type { Logger } from 'pino'
import { Reply, type ConversationRef, type InboundActivity } from '../message/index.js'

/** Why a turn should go to a human, and which plugin said so. */
export interface Escalation {
  reason: string
  by: string
}

/**
 * What plugins share during one turn. Plugins add typed keys by declaration merging next to the
 * code that writes them:
 *
 * @example
 * declare module '../../core/pipeline/turn.js' { interface TurnState { intent?: Intent } }
 */
export interface TurnState {
  /** Set by any plugin that decides a human should take over (sentiment, intent, the agent). */
  escalate?: Escalation
}

/**
 * Small per-conversation state that plugins keep between turns (sentiment trend, last intent).
 * Loaded before the pipeline runs and saved in the same transaction as the turn's transcript, so
 * it is exactly as durable as the conversation: a rerun turn sees the state before it, never twice
 * applied. Each plugin owns one key; values must be JSON.
 */
export type ConversationMemory = Record<string, unknown>

export interface Turn {
  readonly id: string
  readonly tenant: string
  readonly activity: InboundActivity
  readonly conversation: ConversationRef
  readonly state: TurnState
  /** Recorded on the inbound transcript row: intent, sentiment, sources, provider… */
  readonly annotations: Record<string, unknown>
  readonly memory: ConversationMemory
  readonly log: Logger
  /** Aborted when the turn's deadline passes or the tenant stops. */
  readonly signal: AbortSignal
  /** When the turn's deadline passes (epoch ms): budget slow calls (an LLM) to finish before it. */
  readonly deadline: number
  readonly replies: readonly Reply[]
  /** Adds a reply; inbound middlewares may answer without reaching the respond stage. */
  say(reply: Reply | string): void
  /**
   * Takes back what was said so far and says `replies` instead: for an inbound middleware that
   * decides after `next()` that the answer must not go out (the conversation goes to a person).
   */
  replace(replies: readonly (Reply | string)[]): void
  /**
   * Shows the reply as it is being written, on channels that can (web chat). The final reply
   * still goes through `respond` and the transcript; a draft is only a preview of it.
   * Undefined when the channel cannot stream.
   */
  readonly stream?: (delta: string) => void
}

export interface TurnInit {
  id: string
  activity: InboundActivity
  log: Logger
  signal: AbortSignal
  deadline?: number
  memory?: ConversationMemory
  stream?: (delta: string) => void
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
    memory: init.memory ?? {},
    log: init.log,
    signal: init.signal,
    deadline: init.deadline ?? Number.POSITIVE_INFINITY,
    replies,
    say(reply) {
      replies.push(toReply(reply))
    },
    replace(next) {
      replies.splice(0, replies.length, ...next.map(toReply))
    },
    ...(init.stream ? { stream: init.stream } : {}),
  }
}

const toReply = (reply: Reply | string): Reply => (typeof reply === 'string' ? { parts: [{ type: 'text', text: reply }] } : Reply.parse(reply))
