import { describe, expect, it } from 'vitest'
import { redact, resolveSecretFields } from '../../core/config/secret.js'
import { LlmConfig } from './manifest.js'

const issues = (input: unknown) => {
  const result = LlmConfig.safeParse(input)
  expect(result.success).toBe(false)
  return result.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
}

describe('llm plugin config', () => {
  it('fills OpenAI defaults around a key', () => {
    expect(LlmConfig.parse({ apiKey: 'sk-x' })).toEqual({
      provider: 'openai',
      baseURL: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      apiKey: 'sk-x',
      timeoutMs: 8_000,
      retries: 1,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 30_000 },
      budget: {},
    })
  })

  it('rejects a missing key, a bad URL and unknown fields, naming the path', () => {
    expect(issues({})).toEqual([expect.objectContaining({ path: 'apiKey' })])
    expect(issues({ apiKey: 'sk-x', baseURL: 'not a url' })).toEqual([expect.objectContaining({ path: 'baseURL' })])
    expect(issues({ apiKey: 'sk-x', baseURL: 'ftp://example.com/v1' })).toEqual([expect.objectContaining({ path: 'baseURL' })])
    expect(issues({ apiKey: 'sk-x', breaker: { volumeTreshold: 2 } })).toEqual([expect.objectContaining({ path: 'breaker' })])
    expect(issues({ apiKey: 'sk-x', budget: { tokensPerHour: 0 } })).toEqual([expect.objectContaining({ path: 'budget.tokensPerHour' })])
    expect(issues({ apiKey: 'sk-x', provider: 'anthropic' })).toEqual([expect.objectContaining({ path: 'provider' })])
  })

  it('treats the key as a secret: resolved from ${env:…}, redacted when shown', () => {
    const raw = { apiKey: '${env:OPENAI_API_KEY}', model: 'gpt-4o' }
    const { value, problems } = resolveSecretFields(LlmConfig, raw, { env: { OPENAI_API_KEY: 'sk-from-env' }, baseDir: process.cwd() }, 'plugins[0].config')
    expect(problems).toEqual([])
    expect(value).toEqual({ apiKey: 'sk-from-env', model: 'gpt-4o' })
    expect(redact(LlmConfig, LlmConfig.parse(value))).toMatchObject({ apiKey: '[redacted]', model: 'gpt-4o' })
    const stray = resolveSecretFields(LlmConfig, { apiKey: 'sk-x', model: '${env:OPENAI_API_KEY}' }, { env: {}, baseDir: process.cwd() }, 'config')
    expect(stray.problems).toEqual([expect.objectContaining({ path: 'config.model' })])
  })
})
