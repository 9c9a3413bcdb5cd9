import { Tokens, defineAgent } from '../../core/index.js'
import { manifest } from './manifest.js'
import { LlmToken } from './types.js'

export { LlmToken, LlmUnavailableError, type LlmService } from './types.js'

/**
 * Provides the tenant's language model to the plugins listed after it (`LlmToken`); it takes no
 * part in turns itself.
 */
export default defineAgent({
  manifest,
  async setup({ tenant, config, log, metrics, scope, container }) {
    // LangChain takes most of a second to load: only tenants that configure an LLM pay for it.
    const { OpenAiLlmService } = await import('./service.js')
    const redis = container.isRegistered(Tokens.Redis, true) ? container.resolve(Tokens.Redis) : undefined
    const service = new OpenAiLlmService({ tenant, config, log, metrics, lifetime: scope.signal, redis })
    scope.onDispose(() => service.dispose(), 'llm service')
    container.register(LlmToken, { useValue: service })
    return {}
  },
})
