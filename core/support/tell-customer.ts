import type { DeliveryEngine, DeskDelivery } from '../delivery/engine.js'
import type { SupportEvents } from './ports.js'

/**
 * Sends a message written outside a turn (an agent's reply, the desk's notice) to the customer's
 * channel, and shows it to the tenant's consoles as it goes out.
 */
export async function tellCustomer(delivery: Pick<DeliveryEngine, 'deliver'>, events: SupportEvents, input: DeskDelivery, at = new Date()): Promise<{ messageId: string; seq: number }[]> {
  const sent = await delivery.deliver(input)
  const { id: senderId, role: senderRole, name } = input.sender
  for (const { messageId } of sent) {
    events.publish(input.tenant, {
      type: 'message',
      conversationId: input.conversationId,
      message: { id: messageId, direction: 'out', senderRole, senderId, text: input.text, at, ...(name ? { annotations: { senderName: name } } : {}) },
    })
  }
  return sent
}
