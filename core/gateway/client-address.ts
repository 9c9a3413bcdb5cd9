import type { IncomingMessage } from 'node:http'

/**
 * The visitor's address: behind a trusted proxy (Ingress, load balancer) the first
 * X-Forwarded-For entry, as Koa reads it with `proxy: true`; otherwise the socket's peer.
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers['x-forwarded-for']
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()
    if (first) return first
  }
  return request.socket.remoteAddress ?? 'unknown'
}
