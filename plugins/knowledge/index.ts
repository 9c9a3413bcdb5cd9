import { defineAgent } from '../../core/index.js'
import { KB_USAGE } from './cli-usage.js'
import { manifest } from './manifest.js'

/** LanceDB and the embedders load at set-up (or when `kb` runs), not when the plugin list is read. */
export default defineAgent({
  manifest,
  async setup(ctx) {
    const { setupKnowledge } = await import('./setup.js')
    return setupKnowledge(ctx)
  },
  commands: {
    kb: { usage: KB_USAGE, run: async (args, ctx) => (await import('./cli.js')).kbCommand.run(args, ctx) },
  },
})
