import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { clientAddress } from './client-address.js'

const request = (headers: Record<string, string>, remoteAddress = '10.0.0.7') => ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage

describe('clientAddress', () => {
  it('uses the first forwarded address only behind a trusted proxy', () => {
    const viaIngress = request({ 'x-forwarded-for': '203.0.113.9, 10.0.0.2' })
    expect(clientAddress(viaIngress, true)).toBe('203.0.113.9')
    expect(clientAddress(viaIngress, false)).toBe('10.0.0.7')
    expect(clientAddress(request({}), true)).toBe('10.0.0.7')
  })
})
