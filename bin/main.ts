import 'reflect-metadata'
import { builtinChannels } from '../channels/index.js'
import { runCli } from '../core/gateway/cli.js'
import { PluginRegistry } from '../core/plugin/registry.js'
import { builtinAgents } from '../plugins/index.js'

/** Composition root of the CLI: the built-in channels and plugins, then the command. */
export async function main(argv: readonly string[]): Promise<number> {
  const registry = new PluginRegistry({ channels: builtinChannels, agents: builtinAgents })
  return runCli(argv, registry, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  })
}
