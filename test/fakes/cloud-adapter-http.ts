import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CloudAdapter, TurnContext } from 'botbuilder'
import { readBody } from './fake-connections.js'

/**
 * Serves one request with botbuilder's CloudAdapter on plain node:http. `process` expects an
 * express-like request (body already parsed) and response; this is the smallest shim that works
 * (notes/deps.md §5). Used by the fake's self-test and by the bench's SDK echo bot.
 */
export async function processWithCloudAdapter(adapter: CloudAdapter, req: IncomingMessage, res: ServerResponse, logic: (context: TurnContext) => Promise<void>): Promise<void> {
  let body: Record<string, unknown> | undefined
  try {
    body = JSON.parse(await readBody(req)) as Record<string, unknown>
  } catch {
    body = undefined
  }
  let status = 200
  let payload: unknown
  const response = {
    socket: req.socket,
    status(code: number) {
      status = code
      return response
    },
    header(name: string, value: unknown) {
      res.setHeader(name, String(value))
      return response
    },
    send(sent?: unknown) {
      if (sent !== undefined) payload = sent
      return response
    },
    end() {
      return response
    },
  }
  await adapter.process({ body: body as Record<string, unknown>, headers: req.headers, method: req.method }, response, logic)
  res.statusCode = status
  if (payload !== undefined && typeof payload !== 'string') res.setHeader('content-type', 'application/json')
  res.end(payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload))
}
