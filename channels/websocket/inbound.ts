import type { InboundActivity } from '../../core/index.js'
import type { ClientFrame } from './protocol.js'

/** Who is on the other end of a socket, as its hello established. */
export interface VisitorSession {
  tenant: string
  instance: string
  conversationId: string
  visitorId: string
  userName?: string
  locale?: string
}

export type VisitorFrame = Extract<ClientFrame, { type: 'message' | 'postback' }>

/** Pure: a visitor's message or postback frame → the activity the pipeline sees. */
export function toActivity(frame: VisitorFrame, session: VisitorSession, at: Date): InboundActivity {
  const { tenant, instance, conversationId, visitorId, userName, locale } = session
  const kind = frame.type
  const text = kind === 'message' ? frame.text : frame.value
  const shown = kind === 'postback' && frame.text ? frame.text : text
  return {
    // Scoped to the conversation: another visitor reusing a client_id cannot shadow this message.
    id: `${conversationId}:${frame.client_id}`,
    tenant,
    channel: 'websocket',
    instance,
    conversation: { id: conversationId, tenant, channel: 'websocket', instance, externalId: visitorId },
    from: { id: visitorId, role: 'user', ...(userName ? { name: userName } : {}) },
    at,
    kind,
    text,
    parts: [{ type: 'text', text: shown }],
    ...(locale ? { locale } : {}),
    raw: frame,
  }
}
