import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from './openai.js'
import { embed, tokenize } from './openai-model.js'

let fake: FakeOpenAI | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

async function start(options?: Parameters<typeof startFakeOpenAI>[0]) {
  fake = await startFakeOpenAI(options)
  return fake
}

const chatModel = (f: FakeOpenAI, fields: Record<string, unknown> = {}) =>
  new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: f.apiKey, configuration: { baseURL: f.url }, maxRetries: 0, ...fields })

const post = (f: FakeOpenAI, path: string, body: unknown, key = f.apiKey) =>
  fetch(`${f.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('the fake OpenAI server, driven by @langchain/openai', () => {
  it('answers chat completions with usage, and sees the bearer key', async () => {
    const f = await start()
    const answer = await chatModel(f).invoke('ping')
    expect(answer.content).toBe('You said: ping')
    expect(answer.usage_metadata).toMatchObject({ input_tokens: 7, output_tokens: 3, total_tokens: 10 })
    expect(f.requests).toHaveLength(1)
    expect(f.requests[0]).toMatchObject({ route: 'chat', method: 'POST', headers: { authorization: `Bearer ${f.apiKey}` } })
    expect(f.requests[0]!.body).toMatchObject({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] })
  })

  it('streams token by token and reports usage in a final chunk', async () => {
    const f = await start()
    f.script(() => 'One two three, 四五.')
    const chunks: string[] = []
    let usage: unknown
    for await (const chunk of await chatModel(f, { streamUsage: true }).stream('hi')) {
      chunks.push(chunk.text)
      if (chunk.usage_metadata) usage = chunk.usage_metadata
    }
    expect(chunks.filter(Boolean)).toEqual(['One ', 'two ', 'three, ', '四', '五', '.'])
    expect(usage).toMatchObject({ output_tokens: 6 })
    expect(f.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
  })

  it('cuts answers at max_tokens with finish_reason length', async () => {
    const f = await start()
    const answer = await chatModel(f, { maxTokens: 2 }).invoke('a long question')
    expect(answer.content).toBe('You said: ')
    expect(answer.response_metadata.finish_reason).toBe('length')
  })

  it('embeds through the SDK default base64 path, honouring dimensions, and matches the float path', async () => {
    const f = await start()
    const fields = { model: 'text-embedding-3-small', apiKey: f.apiKey, configuration: { baseURL: f.url }, dimensions: 64, maxRetries: 0 }
    const [a, b] = await new OpenAIEmbeddings(fields).embedDocuments(['refund policy', 'refund policy please'])
    expect(f.requests[0]!.body).toMatchObject({ encoding_format: 'base64', dimensions: 64, input: ['refund policy', 'refund policy please'] })
    expect(a).toHaveLength(64)
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5)
    const floats = await new OpenAIEmbeddings({ ...fields, encodingFormat: 'float' }).embedQuery('refund policy')
    expect(f.requests[1]!.body.encoding_format).toBe('float')
    expect(floats).toEqual(a)
    expect(a).toEqual(embed('refund policy', 64))
    const cosine = a!.reduce((s, v, i) => s + v * b![i]!, 0)
    expect(cosine).toBeGreaterThan(0.5)
  })

  it('rejects a wrong key and malformed requests with OpenAI error bodies', async () => {
    const f = await start({ apiKey: 'sk-right-key-123456' })
    await expect(chatModel(f, { apiKey: 'sk-wrong-key-987654' }).invoke('hi')).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' })
    const wrong = await post(f, '/chat/completions', { model: 'm', messages: [] }, 'sk-wrong-key-987654')
    const wrongBody = (await wrong.json()) as { error: { message: string } }
    expect(wrongBody.error.message).not.toContain('sk-wrong-key-987654')

    const noModel = await post(f, '/chat/completions', { messages: [{ role: 'user', content: 'x' }] })
    expect(noModel.status).toBe(400)
    expect(await noModel.json()).toEqual({ error: { message: 'you must provide a model parameter', type: 'invalid_request_error', param: null, code: null } })
    const noMessages = await post(f, '/chat/completions', { model: 'gpt-4o-mini' })
    expect(await noMessages.json()).toMatchObject({ error: { param: 'messages', code: 'missing_required_parameter', type: 'invalid_request_error' } })
    const unauthenticated = await fetch(`${f.url}/chat/completions`, { method: 'POST', body: '{}' })
    expect(unauthenticated.status).toBe(401)
    const badDimensions = await post(f, '/embeddings', { model: 'text-embedding-ada-002', input: 'x', dimensions: 8 })
    expect(badDimensions.status).toBe(400)
  })
})

describe('fault injection', () => {
  it('answers 429 with retry-after and a rate_limit_exceeded body, then recovers', async () => {
    const f = await start()
    f.inject({ kind: 'rate_limit', retryAfter: 3 })
    const limited = await post(f, '/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } })
    await expect(chatModel(f).invoke('hi')).resolves.toMatchObject({ content: 'You said: hi' })
    expect(f.requests.map((r) => r.fault)).toEqual(['rate_limit', undefined])
  })

  it('fails with 5xx bodies the SDK reads, per route and in order', async () => {
    const f = await start()
    f.inject({ kind: 'server_error', status: 503, route: 'embeddings' })
    f.inject({ kind: 'server_error' }, 2)
    const chat = chatModel(f)
    await expect(chat.invoke('a')).rejects.toMatchObject({ status: 500, type: 'server_error' })
    const embeddings = new OpenAIEmbeddings({ apiKey: f.apiKey, configuration: { baseURL: f.url }, maxRetries: 0 })
    await expect(embeddings.embedQuery('x')).rejects.toMatchObject({ status: 503 })
    await expect(chat.invoke('b')).rejects.toMatchObject({ status: 500 })
    await expect(chat.invoke('c')).resolves.toMatchObject({ content: 'You said: c' })
  })

  it('hangs until the client gives up, and close() does not wait for hanging requests', async () => {
    const f = await start()
    f.inject({ kind: 'hang' }, 2)
    await expect(chatModel(f).invoke('hi', { signal: AbortSignal.timeout(100) })).rejects.toThrow()
    const pending = post(f, '/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 50))
    await f.close()
    expect(await pending).toBeInstanceOf(Error)
  })

  it('drops the connection mid-stream after the given number of tokens', async () => {
    const f = await start()
    f.inject({ kind: 'disconnect', afterTokens: 2 })
    const seen: string[] = []
    await expect(
      (async () => {
        for await (const chunk of await chatModel(f).stream('one two three four')) if (chunk.text) seen.push(chunk.text)
      })(),
    ).rejects.toThrow()
    expect(seen).toEqual(['You ', 'said: '])
  })

  it('slows answers down before the first byte and between tokens', async () => {
    const f = await start()
    f.inject({ kind: 'slow', delayMs: 150 })
    const started = Date.now()
    await chatModel(f).invoke('hi')
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    f.inject({ kind: 'slow', tokenDelayMs: 40 })
    const arrivals: number[] = []
    for await (const chunk of await chatModel(f).stream('x y z')) if (chunk.text) arrivals.push(Date.now())
    expect(arrivals.length).toBe(5)
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(120)
  })
})

describe('tokenize', () => {
  it('gives back the text when joined, splitting words and CJK characters', () => {
    for (const text of ['', '  lead and trail  ', 'You said: ping', '你好，世界 hello 世界', 'tab\tnew\nline']) expect(tokenize(text).join('')).toBe(text)
    expect(tokenize('请问 营业时间?')).toEqual(['请', '问 ', '营', '业', '时', '间', '?'])
  })
})
