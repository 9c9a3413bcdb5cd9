import { describe, expect, it } from 'vitest'
import { connectionOverrides, DEFAULT_CONNECTION, failureClass } from './twilio-connection.js'

describe('connection overrides in a webhook URL fragment', () => {
  it.each([
    ['no fragment: Twilio’s defaults', 'https://gw.example.com/voice?t=1', 'https://gw.example.com/voice?t=1', {}],
    [
      'every key',
      'https://gw.example.com/voice#ct=2000&rt=8000&tt=10000&rc=2&rp=ct,5xx',
      'https://gw.example.com/voice',
      { connectTimeoutMs: 2000, readTimeoutMs: 8000, totalTimeoutMs: 10000, retryCount: 2, retryPolicy: ['ct', '5xx'] },
    ],
    ['rp=all', 'http://127.0.0.1:1/v#rp=all', 'http://127.0.0.1:1/v', { retryPolicy: ['ct', 'rt', '4xx', '5xx'] }],
    ['values clamped to the documented ranges', 'http://h/v#ct=5&rt=99999&rc=9', 'http://h/v', { connectTimeoutMs: 100, readTimeoutMs: 15000, retryCount: 5 }],
    ['edge and sni ignored, nonsense ignored', 'http://h/v?q=1#e=ashburn&sni=y&rt=abc&rp=sometimes', 'http://h/v?q=1', { retryPolicy: [] }],
  ])('%s', (_name, url, sent, overrides) => {
    expect(connectionOverrides(url, DEFAULT_CONNECTION)).toEqual({ url: sent, settings: { ...DEFAULT_CONNECTION, ...overrides } })
  })

  it('classes failures the way a retry policy names them', () => {
    expect(failureClass({ kind: 'failure', failure: 'ct', detail: 'ECONNREFUSED', latencyMs: 1 })).toBe('ct')
    expect(failureClass({ kind: 'failure', failure: 'rt', detail: 'timeout', latencyMs: 1 })).toBe('rt')
    expect(failureClass({ kind: 'response', status: 503, body: '', latencyMs: 1 })).toBe('5xx')
    expect(failureClass({ kind: 'response', status: 403, body: '', latencyMs: 1 })).toBe('4xx')
    expect(failureClass({ kind: 'response', status: 200, body: '', latencyMs: 1 })).toBeUndefined()
  })
})
