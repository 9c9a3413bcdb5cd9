import type { AgentPlugin } from './agent.js'
import type { ChannelPlugin } from './channel.js'

export type PluginKind = 'channels' | 'plugins'

/** The plugin types a gateway knows, by the `type` tenants write in their config. */
export class PluginRegistry {
  readonly #channels = new Map<string, ChannelPlugin>()
  readonly #agents = new Map<string, AgentPlugin>()

  constructor(plugins: { channels?: readonly ChannelPlugin[]; agents?: readonly AgentPlugin[] } = {}) {
    for (const c of plugins.channels ?? []) this.addChannel(c)
    for (const a of plugins.agents ?? []) this.addAgent(a)
  }

  addChannel(plugin: ChannelPlugin): void {
    // A wiring mistake in the composition root, not something an operator can fix in config.
    if (this.#channels.has(plugin.manifest.id)) throw new Error(`channel type "${plugin.manifest.id}" registered twice`)
    this.#channels.set(plugin.manifest.id, plugin)
  }

  addAgent(plugin: AgentPlugin): void {
    if (this.#agents.has(plugin.manifest.id)) throw new Error(`plugin type "${plugin.manifest.id}" registered twice`)
    this.#agents.set(plugin.manifest.id, plugin)
  }

  channel(type: string): ChannelPlugin | undefined {
    return this.#channels.get(type)
  }

  agent(type: string): AgentPlugin | undefined {
    return this.#agents.get(type)
  }

  types(kind: PluginKind): string[] {
    return [...(kind === 'channels' ? this.#channels : this.#agents).keys()].sort()
  }
}
