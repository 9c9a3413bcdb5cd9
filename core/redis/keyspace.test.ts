import { describe, expect, it } from 'vitest'
import { assertTenantId, isTenantId, tenantKey, tenantKeyPrefix, tenantQueueName } from './keyspace.js'

describe('Redis keyspace', () => {
  it('puts every key under sb:{tenant}: so one tenant shares a cluster slot', () => {
    expect(tenantKeyPrefix('acme')).toBe('sb:{acme}')
    expect(tenantKey('acme', 'rl', 'messages')).toBe('sb:{acme}:rl:messages')
    expect(tenantKey('_platform', 'x')).toBe('sb:{_platform}:x')
  })

  it('accepts config slugs and the platform scope, and nothing that could escape the prefix', () => {
    for (const ok of ['a', '0', 'acme-support', 'a'.repeat(63), '_platform']) expect(isTenantId(ok)).toBe(true)
    for (const bad of ['', '-acme', 'Acme', 'a'.repeat(64), 'a:b', 'a}b', '{a}', 'a b', '_other', '_platform2', 'acme\n'])
      expect(isTenantId(bad), bad).toBe(false)
    expect(() => assertTenantId('a}:{b')).toThrow(TypeError)
    expect(() => tenantKey('Acme', 'x')).toThrow(TypeError)
  })

  it('refuses keys with no parts or empty parts', () => {
    expect(() => tenantKey('acme')).toThrow(TypeError)
    expect(() => tenantKey('acme', 'a', '', 'b')).toThrow(TypeError)
  })

  it('names queues without ":" (BullMQ refuses it) but with the tenant hash tag', () => {
    const name = tenantQueueName('acme', 'outbox')
    expect(name).toBe('sb-{acme}-outbox')
    expect(name).not.toContain(':')
    expect(() => tenantQueueName('acme', 'a:b')).toThrow(TypeError)
    expect(() => tenantQueueName('acme', '')).toThrow(TypeError)
    expect(() => tenantQueueName('ACME', 'outbox')).toThrow(TypeError)
  })
})
