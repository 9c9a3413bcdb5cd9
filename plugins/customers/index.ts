import { defineAgent } from '../../core/index.js'
import { manifest } from './manifest.js'
import { customersMiddleware } from './middleware.js'
import './types.js'

export { manifest, CustomersConfig } from './manifest.js'
export { vipLevelByRules } from './vip-rules.js'

export default defineAgent({
  manifest,
  setup(ctx) {
    return { inbound: customersMiddleware(ctx) }
  },
})
