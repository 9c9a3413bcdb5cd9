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
  /**
   * Works on the gateway's own stores (customers, tickets, handoffs): set up only inside a running
   * gateway. CLI commands and classifier evaluations, which set plugins up on their own, leave it out.
   */
  gatewayOnly?: boolean
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

/** What the CLI offers a plugin's own command (`switchboard kb ingest …`). */
export interface PluginCommandContext {
  readonly io: { out(line: string): void; err(line: string): void; env: NodeJS.ProcessEnv }
  readonly log: Logger
  /**
   * One tenant's validated entry of this plugin type (the first, or the one with `entryId`), with
   * the services of the plugins listed above it set up as the gateway would (an LLM, a classifier).
   * `close()` undoes that set-up.
   */
  openEntry(tenant: string, options?: { configDir?: string; entryId?: string }): Promise<{
    tenant: string
    id: string
    config: unknown
    container: DependencyContainer
    paths: { config: string; data: string }
    metrics: Metrics
    close(): Promise<void>
  }>
}

export interface PluginCommand {
  /** Shown by `switchboard help` and on a usage error. */
  usage: string
  /** Resolves to the exit code; throw a SwitchboardError with details for bad input. */
  run(args: readonly string[], ctx: PluginCommandContext): Promise<number>
}

export interface AgentPlugin<S extends z.ZodType = z.ZodType> {
  manifest: AgentManifest<S>
  setup(ctx: AgentContext<z.output<S>>): Promise<AgentHooks> | AgentHooks
  /** CLI commands the plugin adds, by their first word (`kb` for `switchboard kb …`). */
  commands?: Record<string, PluginCommand>
}

export const defineAgent = <S extends z.ZodType>(plugin: AgentPlugin<S>): AgentPlugin<S> => plugin
