import type { IncomingMessage } from 'node:http'

/** A file sent as a multipart part, as the Bot API sees an uploaded InputFile. */
export interface FakeUpload {
  filename: string
  contentType?: string
  data: Buffer
}

export type Params = Record<string, unknown>

/** The request body could not be read as the content type it claimed. */
export class BodyError extends Error {}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * Bot API parameters the way Telegram accepts them: query string, JSON, form-urlencoded or
 * multipart, merged (the body wins). Form and multipart values stay strings; the caller decides
 * which ones are numbers or JSON, as Telegram does per method.
 */
export function parseParams(contentType: string | undefined, body: Buffer, query?: URLSearchParams): Params {
  const params: Params = {}
  query?.forEach((value, key) => (params[key] = value))
  if (body.length === 0) return params
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json') {
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      throw new BodyError("can't parse JSON object")
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BodyError("can't parse JSON object")
    Object.assign(params, parsed)
  } else if (type === 'application/x-www-form-urlencoded') {
    new URLSearchParams(body.toString('utf8')).forEach((value, key) => (params[key] = value))
  } else if (type === 'multipart/form-data') {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '')
    if (!boundary) throw new BodyError('multipart body without a boundary')
    for (const part of parseMultipart(body, boundary[1] ?? boundary[2]!)) {
      params[part.name] =
        part.filename === undefined ? part.data.toString('utf8') : ({ filename: part.filename, contentType: part.contentType, data: part.data } satisfies FakeUpload)
    }
  }
  return params
}

interface Part {
  name: string
  filename?: string
  contentType?: string
  data: Buffer
}

/**
 * RFC 7578 multipart, enough for what HTTP clients send: a part's data runs until CRLF plus the
 * next delimiter, so binary data containing `--` or CRLF survives. telegraf ends the body right
 * after the closing `--boundary--` and writes headers without a space after the colon.
 */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`)
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`)
  const parts: Part[] = []
  let pos = body.indexOf(delimiter)
  if (pos < 0) throw new BodyError('multipart body without its boundary')
  pos += delimiter.length
  while (!(body[pos] === 0x2d && body[pos + 1] === 0x2d)) {
    const lineEnd = body.indexOf('\r\n', pos)
    const headerEnd = lineEnd < 0 ? -1 : body.indexOf('\r\n\r\n', lineEnd)
    if (headerEnd < 0) throw new BodyError('multipart part without headers')
    const dataEnd = body.indexOf(nextDelimiter, headerEnd + 4)
    if (dataEnd < 0) throw new BodyError('unterminated multipart body')
    const headers = new Map<string, string>()
    for (const line of body.subarray(lineEnd + 2, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
    }
    const disposition = headers.get('content-disposition') ?? ''
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1]
    const filename = /(?:^|;)\s*filename="([^"]*)"/i.exec(disposition)?.[1]
    if (name !== undefined) parts.push({ name, filename, contentType: headers.get('content-type'), data: body.subarray(headerEnd + 4, dataEnd) })
    pos = dataEnd + nextDelimiter.length
  }
  return parts
}
