import { defineChannel } from '../../core/index.js'
import { manifest } from './manifest.js'

export default defineChannel({
  manifest,
  // Loaded when a voice channel starts: the CLI and gateways without a phone line never pay for
  // the twilio package's import.
  start: async (ctx) => (await import('./start.js')).startVoice(ctx),
})
