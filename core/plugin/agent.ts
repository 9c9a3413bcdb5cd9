import type { Logger } from 'pino'
import type { DependencyContainer, InjectionToken } from 'tsyringe'
import type { z } from 'zod'
import type { Scope } from '../di/scope.js'
import type { Reply } from '../message/index.js'
import type { Metrics } from '../observability/metrics.js'
import type { Turn } from '../pipeline/turn.js'

export type Stage = 'inbound' | 'respond' | 'outbound'
export type TurnMiddleware = (turn: Turn, next: () => Promise<void>) => Promise<void>

export interface AgentManifest<S extends z.ZodType = z.ZodType> {
  kind: 'agent'
  id: string
  label: string
  version: string
  config: S
  /** The hooks the plugin provides, so the host can show and check the pipeline. */
  stages: readonly Stage[]
  requires?: readonly InjectionToken<unknown>[]
  provides?: readonly InjectionToken<unknown>[]
}

export interface AgentHooks {
  /** Onion around the turn; omit `next()` to short-circuit (a human owns the conversation). */
  inbound?: TurnMiddleware
  /** The first plugin, in tenant order, that returns a reply wins. */
  respond?: (turn: Turn) => Promise<Reply | undefined>
  /** Waterfall over every outgoing reply. */
  outbound?: (turn: Turn, reply: Reply) => Promise<Reply>
}

export interface AgentContext<C> {
  readonly tenant: string
  /** The plugin entry's id in the tenant file. */
  readonly id: string
  readonly config: Readonly<C>
  readonly log: Logger
  readonly scope: Scope
  /**
   * This pipeline generation's container: services earlier plugins provided (`manifest.provides`)
   * resolve here, and a reload starts from a fresh one so a retired generation's services never
   * leak into the next.
   */
  readonly container: DependencyContainer
  readonly metrics: Metrics
  readonly paths: {
    /** The tenant's config folder: relative paths in plugin config (a knowledge folder) start here. */
    readonly config: string
    /** The gateway's data folder; a plugin keeps its files under `<data>/<plugin type>/`. */
    readonly data: string
  }
}

export interface AgentPlugin<S extends z.ZodType = z.ZodType> {
  manifest: AgentManifest<S>
  setup(ctx: AgentContext<z.output<S>>): Promise<AgentHooks> | AgentHooks
}

export const defineAgent = <S extends z.ZodType>(plugin: AgentPlugin<S>): AgentPlugin<S> => plugin
