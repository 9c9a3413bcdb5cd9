import { randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { readBody, trackedSleep } from './fake-connections.js'
import { embed, lastUserText, nativeDimensions, promptTokens, countTokens, toBase64, tokenize, type FakeChatMessage } from './openai-model.js'

export type FakeRoute = 'chat' | 'embeddings' | 'models' | 'other'

export interface RecordedRequest {
  route: FakeRoute
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** Parsed JSON body; undefined when there was none or it did not parse. */
  body: any
  /** The fault this request consumed, if any. */
  fault?: FakeFault['kind']
  at: number
}

export interface ChatRequest {
  model: string
  messages: FakeChatMessage[]
  body: Record<string, any>
}

/** Produces the assistant's answer; the fake tokenizes and (when asked) streams it. */
export type Responder = (request: ChatRequest) => string | Promise<string>

type OnRoute = { route?: 'chat' | 'embeddings' }

/**
 * What can go wrong on the next request (to `route`, or any route). Each injected fault is used
 * by exactly one request, in the order injected.
 */
export type FakeFault =
  /** 429 with `retry-after` (seconds, default 1) and OpenAI's rate_limit_exceeded body. */
  | ({ kind: 'rate_limit'; retryAfter?: number } & OnRoute)
  /** 5xx with OpenAI's server_error body (default 500). */
  | ({ kind: 'server_error'; status?: 500 | 502 | 503 } & OnRoute)
  /** Accepts the request and never answers, until `close()`. */
  | ({ kind: 'hang' } & OnRoute)
  /** Waits `delayMs` before answering and `tokenDelayMs` between streamed tokens. */
  | ({ kind: 'slow'; delayMs?: number; tokenDelayMs?: number } & OnRoute)
  /**
   * Destroys the connection: after `afterTokens` streamed tokens (default 1) when streaming,
   * otherwise before any response.
   */
  | ({ kind: 'disconnect'; afterTokens?: number } & OnRoute)

export interface FakeOpenAIOptions {
  /** The only key the fake accepts; default a random `sk-test-…`. */
  apiKey?: string
  /** Models the fake knows; others get OpenAI's 404 model_not_found. Default: any. */
  models?: readonly string[]
  responder?: Responder
  /** Delay between streamed tokens for every request, in ms (default 0). */
  tokenDelayMs?: number
  /** false plays an OpenAI-compatible server that reports no `usage` at all (some self-hosted ones). */
  reportUsage?: boolean
}

export interface FakeOpenAI {
  /** Base URL including `/v1`, as OpenAI clients expect it. */
  readonly url: string
  readonly apiKey: string
  /** Every request received, in arrival order, rejected ones included. */
  readonly requests: RecordedRequest[]
  /** Replaces the responder for later chat requests. */
  script(responder: Responder): void
  /** Queues a fault for `times` later requests (default one). */
  inject(fault: FakeFault, times?: number): void
  /** Stops the server, cutting hanging and slow requests; never waits for them. */
  close(): Promise<void>
}

/** The answer without a script: predictable from the prompt, like the deps notes' "You said: …". */
export const defaultResponder: Responder = ({ messages }) => `You said: ${lastUserText(messages)}`

interface ApiError {
  message: string
  type: string
  param?: string | null
  code?: string | null
}

const errorBody = ({ message, type, param = null, code = null }: ApiError) => ({ error: { message, type, param, code } })

const invalid = (message: string, param: string | null = null, code: string | null = null): [number, ApiError] => [
  400,
  { message, type: 'invalid_request_error', param, code },
]

const sleep = trackedSleep

/** Shows the shape of a wrong key the way OpenAI does, without repeating it. */
const maskKey = (key: string) => (key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`)

/**
 * A local OpenAI-compatible server as far as the official SDK (and LangChain on top of it) can
 * tell: Bearer auth, OpenAI's validation errors and error envelope, `chat.completion` JSON and
 * SSE `chat.completion.chunk` streams with usage, embeddings as floats or base64 float32, and
 * injectable faults (429, 5xx, hangs, slowness, dropped connections).
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const apiKey = options.apiKey ?? `sk-test-${randomBytes(12).toString('hex')}`
  const requests: RecordedRequest[] = []
  const faults: FakeFault[] = []
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let responder = options.responder ?? defaultResponder
  const reportUsage = options.reportUsage ?? true
  let closed = false

  const takeFault = (route: FakeRoute): FakeFault | undefined => {
    if (route !== 'chat' && route !== 'embeddings') return undefined
    const index = faults.findIndex((f) => !f.route || f.route === route)
    return index < 0 ? undefined : faults.splice(index, 1)[0]
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody({ message: `fake OpenAI failed: ${String(error)}`, type: 'server_error' }))
      else res.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    const route: FakeRoute =
      path === '/v1/chat/completions' ? 'chat' : path === '/v1/embeddings' ? 'embeddings' : path === '/v1/models' ? 'models' : 'other'
    const raw = await readBody(req)
    let body: any
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined
    } catch {
      body = undefined
    }
    const recorded: RecordedRequest = { route, method: req.method ?? 'GET', path, headers: req.headers, body, at: Date.now() }
    requests.push(recorded)

    const wanted = route === 'models' ? 'GET' : 'POST'
    if (route === 'other' || req.method !== wanted)
      return fail(res, 404, { message: `Invalid URL (${req.method} ${path})`, type: 'invalid_request_error' })

    const auth = req.headers.authorization
    if (!auth?.startsWith('Bearer ') || auth.slice(7).trim() === '')
      return fail(res, 401, {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        type: 'invalid_request_error',
      })
    const given = auth.slice(7).trim()
    if (given !== apiKey)
      return fail(res, 401, {
        message: `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      })

    if (route === 'models') return models(res)

    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return fail(
        res,
        400,
        invalid(
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
        )[1],
      )

    const problem = route === 'chat' ? validateChat(body) : validateEmbeddings(body)
    if (problem) return fail(res, problem[0], problem[1])
    if (options.models && !options.models.includes(body.model))
      return fail(res, 404, {
        message: `The model \`${body.model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        code: 'model_not_found',
      })

    const fault = takeFault(route)
    if (fault) recorded.fault = fault.kind
    switch (fault?.kind) {
      case 'rate_limit': {
        const retryAfter = fault.retryAfter ?? 1
        return fail(
          res,
          429,
          {
            message: `Rate limit reached for ${body.model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${retryAfter}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
            type: 'requests',
            code: 'rate_limit_exceeded',
          },
          { 'retry-after': String(retryAfter), 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': `${retryAfter}s` },
        )
      }
      case 'server_error': {
        const status = fault.status ?? 500
        const message =
          status === 503
            ? 'The engine is currently overloaded, please try again later.'
            : status === 502
              ? 'Bad gateway.'
              : 'The server had an error while processing your request. Sorry about that!'
        return fail(res, status, { message, type: status === 503 ? 'server_error' : status === 502 ? 'cf_bad_gateway' : 'server_error' })
      }
      case 'hang':
        return
      case 'disconnect':
        if (route !== 'chat' || body.stream !== true) return void req.socket.destroy()
        break
      case 'slow':
        if (fault.delayMs) await sleep(fault.delayMs, timers)
        break
    }
    if (closed || res.destroyed) return

    if (route === 'embeddings') return embeddings(res, body)
    const tokenDelayMs = (fault?.kind === 'slow' ? fault.tokenDelayMs : undefined) ?? options.tokenDelayMs ?? 0
    const dropAfter = fault?.kind === 'disconnect' ? (fault.afterTokens ?? 1) : undefined
    return chat(req, res, body, tokenDelayMs, dropAfter)
  }

  async function chat(req: IncomingMessage, res: ServerResponse, body: Record<string, any>, tokenDelayMs: number, dropAfter: number | undefined) {
    const messages = body.messages as FakeChatMessage[]
    const answer = await responder({ model: body.model, messages, body })
    const limit = (body.max_completion_tokens ?? body.max_tokens) as number | undefined
    let tokens = tokenize(answer)
    const truncated = limit !== undefined && tokens.length > limit
    if (truncated) tokens = tokens.slice(0, limit)
    const usage = usageOf(promptTokens(messages), tokens.length)
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`
    const created = Math.floor(Date.now() / 1000)
    const finish = truncated ? 'length' : 'stop'
    const common = { id, created, model: body.model, service_tier: 'default', system_fingerprint: 'fp_fake' }

    if (body.stream !== true) {
      return send(res, 200, {
        ...common,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: tokens.join(''), refusal: null, annotations: [] }, logprobs: null, finish_reason: finish }],
        ...(reportUsage ? { usage } : {}),
      })
    }

    const includeUsage = reportUsage && body.stream_options?.include_usage === true
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ ...common, object: 'chat.completion.chunk', choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`
    const delta = (d: Record<string, unknown>, finishReason: string | null = null) => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finishReason }])

    res.writeHead(200, { ...commonHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' })
    res.write(delta({ role: 'assistant', content: '', refusal: null }))
    for (const [i, token] of tokens.entries()) {
      if (tokenDelayMs > 0) await sleep(tokenDelayMs, timers)
      if (closed || res.destroyed || req.socket.destroyed) return
      // Flushed first so the client really has the tokens before the connection drops.
      await new Promise<void>((resolve) => res.write(delta({ content: token }), () => resolve()))
      if (dropAfter !== undefined && i + 1 >= dropAfter) return void req.socket.destroy()
    }
    if (dropAfter !== undefined) return void req.socket.destroy()
    res.write(delta({}, finish))
    if (includeUsage) res.write(chunk([], { usage }))
    res.end('data: [DONE]\n\n')
  }

  function embeddings(res: ServerResponse, body: Record<string, any>) {
    const inputs: string[] = typeof body.input === 'string' ? [body.input] : (body.input as unknown[]).map((i) => (Array.isArray(i) ? i.join(' ') : String(i)))
    const dimensions = (body.dimensions as number | undefined) ?? nativeDimensions(body.model)
    const base64 = body.encoding_format === 'base64'
    const data = inputs.map((text, index) => {
      const vector = embed(text, dimensions)
      return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector }
    })
    const tokens = inputs.reduce((sum, text) => sum + countTokens(text), 0)
    send(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } })
  }

  function models(res: ServerResponse) {
    const ids = options.models ?? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'text-embedding-3-large']
    send(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' })) })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    script(next) {
      responder = next
    },
    inject(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault)
    },
    async close() {
      if (closed) return
      closed = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await stopped
    },
  }
}

function validateChat(body: Record<string, any>): [number, ApiError] | undefined {
  if (typeof body.model !== 'string' || body.model === '') return invalid('you must provide a model parameter')
  if (body.messages === undefined) return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter')
  if (!Array.isArray(body.messages)) return invalid("Invalid type for 'messages': expected an array of objects, but got a non-array value instead.", 'messages', 'invalid_type')
  if (body.messages.length === 0)
    return invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array')
  for (const [i, m] of (body.messages as unknown[]).entries()) {
    const role = m && typeof m === 'object' ? (m as { role?: unknown }).role : undefined
    if (typeof role !== 'string' || !['system', 'developer', 'user', 'assistant', 'tool', 'function'].includes(role))
      return invalid(`Invalid value for 'messages[${i}].role'.`, `messages[${i}].role`, 'invalid_value')
  }
  if (typeof body.temperature === 'number' && (body.temperature < 0 || body.temperature > 2))
    return invalid(
      `Invalid 'temperature': decimal ${body.temperature > 2 ? 'above maximum' : 'below minimum'} value. Expected a value ${body.temperature > 2 ? '<= 2' : '>= 0'}, but got ${body.temperature} instead.`,
      'temperature',
      body.temperature > 2 ? 'decimal_above_max_value' : 'decimal_below_min_value',
    )
  if (body.stream_options != null && body.stream !== true)
    return invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', 'invalid_value')
  return undefined
}

function validateEmbeddings(body: Record<string, any>): [number, ApiError] | undefined {
  if (typeof body.model !== 'string' || body.model === '') return invalid('you must provide a model parameter')
  if (body.input === undefined) return invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter')
  const input = body.input as unknown
  const inputOk = (typeof input === 'string' && input !== '') || (Array.isArray(input) && input.length > 0 && input.every((i) => (typeof i === 'string' && i !== '') || typeof i === 'number' || Array.isArray(i)))
  if (!inputOk) return invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")
  if (body.encoding_format !== undefined && body.encoding_format !== 'float' && body.encoding_format !== 'base64')
    return invalid(`Invalid value for 'encoding_format': expected one of 'float' or 'base64', but got '${body.encoding_format}' instead.`, 'encoding_format', 'invalid_value')
  if (body.dimensions !== undefined) {
    if (body.model === 'text-embedding-ada-002') return invalid('This model does not support specifying dimensions.')
    if (!Number.isInteger(body.dimensions) || body.dimensions < 1 || body.dimensions > nativeDimensions(body.model))
      return invalid(`Invalid 'dimensions': expected an integer between 1 and ${nativeDimensions(body.model)}, but got ${body.dimensions} instead.`, 'dimensions', 'invalid_value')
  }
  return undefined
}

const usageOf = (prompt: number, completion: number) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
})

const commonHeaders = () => ({
  'x-request-id': `req_${randomBytes(16).toString('hex')}`,
  'openai-version': '2020-10-01',
  'openai-processing-ms': '1',
})

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return
  res.writeHead(status, { ...commonHeaders(), 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

const fail = (res: ServerResponse, status: number, error: ApiError, headers: Record<string, string> = {}) => send(res, status, errorBody(error), headers)

