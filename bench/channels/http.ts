import { Agent, request, type IncomingMessage } from 'node:http'

/**
 * The one HTTP client every process of this benchmark uses (load generator, bare echo servers):
 * node:http on a keep-alive agent, so no row pays for a slower client than another.
 */
export const keepAliveAgent = () => new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 })

export interface Answer {
  status: number
  body: string
}

/** POSTs a JSON string and resolves with the whole answer; rejects on a socket error or after `timeoutMs`. */
export function postJson(agent: Agent, url: URL, body: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        res.on('error', reject)
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })))
    req.on('error', reject)
    req.end(body)
  })
}

/** The raw request body (what a "raw-body" parser does, without the dependency). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
