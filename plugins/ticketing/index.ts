import { Tokens, defineAgent } from '../../core/index.js'
import { deskServices } from '../support/services.js'
import { manifest } from './manifest.js'
import { ticketingMiddleware } from './middleware.js'
import { ticketPolicy } from './policy.js'
import './types.js'

export { manifest, TicketingConfig } from './manifest.js'
export { ticketPolicy, ticketPriority } from './policy.js'

export default defineAgent({
  manifest,
  setup(ctx) {
    ctx.container.register(Tokens.TicketPolicy, { useValue: ticketPolicy(ctx.config) })
    return { inbound: ticketingMiddleware(ctx, deskServices(ctx)) }
  },
})
