import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { CliUsageError, sbError, type PluginCommand } from '../../core/index.js'
import { createEmbedder } from './embedder.js'
import { knowledgeFolder } from './folder.js'
import { ingestKnowledge } from './ingest.js'
import type { KnowledgeConfig } from './manifest.js'
import { KB_USAGE as USAGE } from './cli-usage.js'

/** `switchboard kb ingest`: the same ingest the gateway runs at start, on demand. */
export const kbCommand: PluginCommand = {
  usage: USAGE,
  async run(args, ctx) {
    const [verb, ...rest] = args
    if (verb === undefined || verb === 'help' || verb === '--help') {
      ctx.io.out(USAGE)
      return verb === undefined ? 2 : 0
    }
    if (verb !== 'ingest') throw new CliUsageError(`unknown kb command "${verb}"`, USAGE)
    let parsed
    try {
      parsed = parseArgs({ args: rest, options: { tenant: { type: 'string' }, config: { type: 'string', short: 'c' }, force: { type: 'boolean' } }, allowPositionals: true, strict: true })
    } catch (error) {
      throw new CliUsageError((error as Error).message.split('\n')[0]!, USAGE)
    }
    const { values, positionals } = parsed
    if (!values.tenant) throw new CliUsageError('missing --tenant <id>', USAGE)
    if (positionals.length > 1) throw new CliUsageError(`one folder only, got ${positionals.length}`, USAGE)
    const entry = await ctx.openEntry(values.tenant, { configDir: values.config })
    try {
      const config = entry.config as KnowledgeConfig
      const configured = knowledgeFolder(entry.paths.config, entry.tenant, config.folder)
      const folder = positionals[0] ? resolve(positionals[0]) : configured
      const embedder = await createEmbedder(config.embedder, entry.container).catch((error: Error) => {
        throw sbError('SB_ERR_CONFIG_INVALID', error.message)
      })
      const result = await ingestKnowledge({ tenant: entry.tenant, folder, dataDir: entry.paths.data, embedder, chunk: config.chunk, maxFileBytes: config.maxFileBytes, force: values.force ?? false, log: ctx.log })
      for (const file of result.skippedFiles) ctx.io.err(`skipped ${file.path}: ${file.reason}`)
      ctx.io.out(
        result.skipped
          ? `${entry.tenant}: knowledge base already up to date with ${folder} (${result.chunks} chunks from ${result.sources} files); --force rebuilds it`
          : `${entry.tenant}: ingested ${result.chunks} chunks from ${result.sources} files in ${folder} (${Math.round(result.ms)} ms) into ${result.table}`,
      )
      // The gateway re-ingests its configured folder at start when it differs from what is stored.
      if (folder !== configured) ctx.io.err(`note: the gateway ingests ${configured} when it starts; set the knowledge plugin's folder to keep ${folder}`)
      return 0
    } finally {
      await entry.close()
    }
  },
}
