import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBody, type FakeConnections } from './fake-connections.js'
import { randomAlphanumeric } from './wechat-crypto.js'
import { OUT_OF_WINDOW } from './wechat-ledger.js'
import type { ApiCall, ApiFault } from './wechat-types.js'
import type { AppRecord, WeChatWorld } from './wechat-world.js'

type Flavour = 'official-account' | 'wecom'

/** The wording WeChat (OA) and WeCom use; both append a request id that callers must not match on. */
const MESSAGES: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40056: 'invalid agentid',
  40125: 'invalid appsecret',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41011: 'missing agentid',
  42001: 'access_token expired',
  44002: 'empty post data',
  44004: 'empty content',
  45002: 'content size out of limit',
  45008: 'article size out of limit',
  45009: 'reach max api daily quota limit',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  47001: 'data format error',
  81013: 'user & party & tag all invalid',
  301002: 'not allow operate another agent with this accesstoken.',
}

/** WeChat measures text in UTF-8 bytes. */
const MAX_TEXT_BYTES = 2048

class ApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg = MESSAGES[errcode] ?? 'unknown error',
  ) {
    super(errmsg)
  }
}

function envelope(flavour: Flavour, errcode: number, errmsg: string) {
  const detail =
    flavour === 'wecom'
      ? `, hint: [${Math.floor(Date.now() / 1000)}_${randomAlphanumeric(24)}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`
      : ` rid: ${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`
  return { errcode, errmsg: `${errmsg}${detail}` }
}

/** A call after routing: the parsed body, the caller's app once its token checked out. */
interface Exchange {
  call: ApiCall
  params: URLSearchParams
  body: Record<string, any>
  app?: AppRecord
}

type Answer = { json: Record<string, unknown> } | { media: { data: Buffer; contentType: string; filename: string } }

interface Route {
  method: 'GET' | 'POST'
  /** Whose API it is: `any` serves both (media download). */
  flavour: Flavour | 'any'
  /** Whether an access_token (of an app of `flavour`) is required. */
  authorised: boolean
  /** The user a fault's `user` matches. */
  userOf?: (body: Record<string, any>) => unknown
  run(exchange: Exchange): Answer
}

const REASONS: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }
const REDACTED = new Set(['secret', 'corpsecret'])
const CONTENT_TYPE: Record<string, [string, string]> = { image: ['image/jpeg', 'jpg'], thumb: ['image/jpeg', 'jpg'], voice: ['audio/amr', 'amr'], video: ['video/mp4', 'mp4'] }

const ok = (fields: Record<string, unknown> = {}): Answer => ({ json: { errcode: 0, errmsg: 'ok', ...fields } })
const bytes = (text: unknown) => (typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : 0)
const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * WeChat's API as the gateway calls it: access tokens, customer-service sends (OA), app messages
 * (WeCom), typing and media download, with WeChat's envelopes (HTTP 200 and an errcode even for
 * errors), its limits, the quota ledger and injected faults.
 */
export function createApiHandler(world: WeChatWorld, connections: FakeConnections) {
  const appsOf = (flavour: Flavour) => [...world.apps.values()].filter((app) => app.kind === flavour)

  function credentials(params: URLSearchParams, flavour: Flavour): AppRecord {
    const [idName, secretName] = flavour === 'wecom' ? ['corpid', 'corpsecret'] : ['appid', 'secret']
    const id = params.get(idName)
    const secret = params.get(secretName)
    if (!id) throw new ApiError(41002, flavour === 'wecom' ? 'corpid missing' : undefined)
    if (!secret) throw new ApiError(41004, flavour === 'wecom' ? 'corpsecret missing' : undefined)
    const candidates = appsOf(flavour).filter((app) => app.receiveId === id)
    if (candidates.length === 0) throw new ApiError(40013, flavour === 'wecom' ? 'invalid corpid' : undefined)
    const app = candidates.find((candidate) => candidate.secret === secret)
    // WeCom calls a wrong secret an invalid credential; the OA token endpoint names the appsecret.
    if (!app) throw new ApiError(flavour === 'wecom' ? 40001 : 40125, flavour === 'wecom' ? 'invalid credential' : undefined)
    return app
  }

  function knownUser(app: AppRecord, user: unknown): string {
    if (typeof user !== 'string' || !app.users.has(user)) throw new ApiError(40003)
    return user
  }

  function textContent(content: unknown) {
    if (typeof content !== 'string' || content === '') throw new ApiError(44004)
    if (bytes(content) > MAX_TEXT_BYTES) throw new ApiError(45002)
    return content
  }

  function ownedMedia(app: AppRecord, mediaId: unknown) {
    const media = typeof mediaId === 'string' ? world.media.get(mediaId) : undefined
    if (!media || media.owner !== app.key) throw new ApiError(40007)
    return media
  }

  /** The checks of a customer-service message body; returns its text when it is a text. */
  function customMessage(app: AppRecord, body: Record<string, any>): string | undefined {
    const type = body.msgtype
    const part = body[type]
    switch (type) {
      case 'text':
        return textContent(part?.content)
      case 'image':
      case 'voice':
      case 'video':
      case 'mpnews':
        ownedMedia(app, part?.media_id)
        return undefined
      case 'news': {
        const articles = part?.articles
        if (!Array.isArray(articles) || articles.length === 0 || !articles.every((a) => isObject(a) && typeof a.title === 'string')) throw new ApiError(47001)
        if (articles.length > 1) throw new ApiError(45008)
        return undefined
      }
      case 'msgmenu': {
        const list = part?.list
        if (!Array.isArray(list) || list.length === 0 || !list.every((item) => isObject(item) && typeof item.id === 'string' && typeof item.content === 'string'))
          throw new ApiError(47001)
        return undefined
      }
      default:
        throw new ApiError(40008)
    }
  }

  const tokenRoute = (flavour: Flavour, issue: (app: AppRecord, exchange: Exchange) => Record<string, unknown>): Route => ({
    method: 'GET',
    flavour,
    authorised: false,
    run(exchange) {
      if (flavour === 'official-account' && exchange.params.get('grant_type') !== 'client_credential') throw new ApiError(40002)
      const app = credentials(exchange.params, flavour)
      exchange.call.app = app.key
      return { json: issue(app, exchange) }
    },
  })

  const routes: Record<string, Route> = {
    '/cgi-bin/token': tokenRoute('official-account', (app) => world.tokens.rotate(app.key)),
    '/cgi-bin/gettoken': tokenRoute('wecom', (app) => ({ errcode: 0, errmsg: 'ok', ...world.tokens.current(app.key) })),
    '/cgi-bin/stable_token': {
      method: 'POST',
      flavour: 'official-account',
      authorised: false,
      run({ body, call }) {
        if (body.grant_type !== 'client_credential') throw new ApiError(40002)
        const app = credentials(new URLSearchParams({ appid: String(body.appid ?? ''), secret: String(body.secret ?? '') }), 'official-account')
        call.app = app.key
        return { json: body.force_refresh === true ? world.tokens.rotate(app.key) : world.tokens.current(app.key) }
      },
    },
    '/cgi-bin/message/custom/send': {
      method: 'POST',
      flavour: 'official-account',
      authorised: true,
      userOf: (body) => body.touser,
      run({ app, body }) {
        const user = knownUser(app!, body.touser)
        const text = customMessage(app!, body)
        const refused = app!.ledger!.take(user)
        if (refused) throw new ApiError(refused)
        world.sent.push({ app: app!.key, user, msgtype: body.msgtype, ...(text !== undefined ? { text } : {}), body, via: 'custom/send', at: world.now() })
        return ok()
      },
    },
    '/cgi-bin/message/custom/typing': {
      method: 'POST',
      flavour: 'official-account',
      authorised: true,
      userOf: (body) => body.touser,
      run({ app, body }) {
        const user = knownUser(app!, body.touser)
        if (body.command !== 'Typing' && body.command !== 'CancelTyping') throw new ApiError(47001)
        if (app!.ledger!.check(user)) throw new ApiError(OUT_OF_WINDOW)
        world.typing.push({ app: app!.key, user, command: body.command, at: world.now() })
        return ok()
      },
    },
    '/cgi-bin/message/send': {
      method: 'POST',
      flavour: 'wecom',
      authorised: true,
      userOf: (body) => body.touser,
      run({ app, body }) {
        if (body.agentid === undefined || body.agentid === '') throw new ApiError(41011)
        if (!/^\d+$/.test(String(body.agentid))) throw new ApiError(40056)
        if (Number(body.agentid) !== app!.agentId) throw new ApiError(301002)
        if (typeof body.touser !== 'string' || body.touser === '') throw new ApiError(81013)
        const wanted = body.touser === '@all' ? [...app!.users.keys()] : body.touser.split('|')
        const valid = wanted.filter((user: string) => app!.users.has(user))
        const invalid = wanted.filter((user: string) => !app!.users.has(user))
        if (valid.length === 0) throw new ApiError(81013)
        let text: string | undefined
        if (body.msgtype === 'text' || body.msgtype === 'markdown') text = textContent(body[body.msgtype]?.content)
        else if (['image', 'voice', 'video', 'file'].includes(body.msgtype)) ownedMedia(app!, body[body.msgtype]?.media_id)
        else if (body.msgtype !== 'textcard' && body.msgtype !== 'news') throw new ApiError(40008)
        for (const user of valid)
          world.sent.push({ app: app!.key, user, msgtype: body.msgtype, ...(text !== undefined ? { text } : {}), body, via: 'message/send', at: world.now() })
        return ok({ invaliduser: invalid.join('|'), msgid: randomBytes(24).toString('base64url') })
      },
    },
    '/cgi-bin/media/get': {
      method: 'GET',
      flavour: 'any',
      authorised: true,
      run({ app, params }) {
        const mediaId = params.get('media_id')
        const media = ownedMedia(app!, mediaId)
        const [contentType, extension] = CONTENT_TYPE[media.kind] ?? ['application/octet-stream', 'bin']
        return { media: { data: media.data, contentType, filename: `${mediaId}.${extension}` } }
      },
    },
  }

  function authorise(exchange: Exchange, route: Route): void {
    const token = exchange.params.get('access_token')
    if (!token) throw new ApiError(41001)
    const checked = world.tokens.check(token)
    if ('problem' in checked) throw new ApiError(checked.problem === 'expired' ? 42001 : route.flavour === 'wecom' ? 40014 : 40001)
    const app = world.apps.get(checked.owner)!
    if (route.flavour !== 'any' && route.flavour !== app.kind) throw new ApiError(route.flavour === 'wecom' ? 40014 : 40001)
    exchange.app = app
    exchange.call.app = app.key
  }

  function takeFault(path: string, user: unknown): ApiFault | undefined {
    const index = world.faults.findIndex((fault) => {
      const target = fault.path ?? fault.method
      const users = typeof user === 'string' ? user.split('|') : []
      return (target === undefined || path.endsWith(target.startsWith('/') ? target : `/${target}`)) && (fault.user === undefined || users.includes(fault.user))
    })
    if (index < 0) return undefined
    const fault = world.faults[index]!
    if ((fault.times ?? 1) <= 1) world.faults.splice(index, 1)
    else world.faults[index] = { ...fault, times: (fault.times ?? 1) - 1 }
    return fault
  }

  function answer(res: ServerResponse, call: ApiCall, flavour: Flavour, result: Answer | ApiError): void {
    call.status = 200
    if (result instanceof ApiError) {
      const body = envelope(flavour, result.errcode, result.errmsg)
      call.errcode = body.errcode
      call.errmsg = body.errmsg
      sendJson(res, body)
    } else if ('json' in result) {
      call.errcode = typeof result.json.errcode === 'number' ? result.json.errcode : 0
      sendJson(res, result.json)
    } else if (!res.destroyed) {
      res.writeHead(200, { 'content-type': result.media.contentType, 'content-disposition': `attachment; filename="${result.media.filename}"`, 'content-length': result.media.data.length })
      res.end(result.media.data)
    }
    world.changed()
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const raw = await readBody(req)
    let body: unknown = raw
    try {
      body = raw === '' ? undefined : JSON.parse(raw)
    } catch {
      // Kept as text: the route answers 47001 if it needed JSON.
    }
    const params = Object.fromEntries([...url.searchParams].map(([name, value]) => [name, REDACTED.has(name) ? '<redacted>' : value]))
    const call: ApiCall = { at: world.now(), path: url.pathname, method: req.method ?? 'GET', params, body, errcode: null, status: null }
    world.calls.push(call)
    const route = routes[url.pathname]
    if (!route) {
      call.status = 404
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found')
      return world.changed()
    }
    const exchange: Exchange = { call, params: url.searchParams, body: isObject(body) ? body : {} }
    let fault: ApiFault | undefined
    let result: Answer | ApiError
    try {
      if (route.authorised) authorise(exchange, route)
      if (route.method === 'POST') {
        if (raw.trim() === '') throw new ApiError(44002)
        if (!isObject(body)) throw new ApiError(47001)
      }
      fault = takeFault(url.pathname, route.userOf?.(exchange.body))
      if (fault) call.fault = 'errcode' in fault ? 'errcode' : 'status' in fault ? 'status' : 'hang' in fault ? 'hang' : 'drop'
      if (fault && 'hang' in fault) {
        connections.hold(res)
        return world.changed()
      }
      if (fault && 'status' in fault) {
        call.status = fault.status
        const title = `${fault.status} ${REASONS[fault.status] ?? 'Error'}`
        res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`)
        return world.changed()
      }
      if (fault && 'errcode' in fault) throw new ApiError(fault.errcode, fault.errmsg)
      result = route.run(exchange)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      result = error
    }
    if (fault && 'drop' in fault) {
      call.status = 200
      if (!(result instanceof ApiError) && 'json' in result) call.errcode = 0
      world.changed()
      return void req.socket.destroy()
    }
    answer(res, call, exchange.app?.kind ?? (route.flavour === 'any' ? 'official-account' : route.flavour), result)
  }
}

function sendJson(res: ServerResponse, body: unknown): void {
  if (res.destroyed) return
  res.writeHead(200, { 'content-type': 'application/json; encoding=utf-8' })
  res.end(JSON.stringify(body))
}
