import type { Customer } from '../../core/index.js'

declare module '../../core/pipeline/turn.js' {
  interface TurnState {
    /** Who wrote, with their VIP level as of this turn (the customers plugin). */
    customer?: Customer
  }
}
