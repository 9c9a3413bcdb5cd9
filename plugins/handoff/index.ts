import { Tokens, defineAgent } from '../../core/index.js'
import { deskServices } from '../support/services.js'
import { Desk } from './desk.js'
import { LiveHandoffs } from './live-handoffs.js'
import { manifest } from './manifest.js'
import { deskMessages } from './messages.js'
import { handoffMiddleware } from './middleware.js'
import { Sweeper } from './sweeper.js'

export { manifest, HandoffConfig } from './manifest.js'
export { PHONE_TRANSFER } from './desk.js'

export default defineAgent({
  manifest,
  setup(ctx) {
    const services = deskServices(ctx)
    const messages = deskMessages(ctx.config.messages)
    const live = new LiveHandoffs(services)
    ctx.scope.onDispose(live.follow(), 'handoff events')
    const desk = new Desk(services, ctx.config, live, messages)
    ctx.container.register(Tokens.HandoffDesk, { useValue: desk })
    new Sweeper(services, desk, ctx.config).start(ctx.scope)
    return { inbound: handoffMiddleware(ctx, services, desk, live, messages) }
  },
})
