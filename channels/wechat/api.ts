import { TokenUnavailable, type AccessTokens, type IssuedToken, type KeepAliveHttp } from '../../core/index.js'

/** One customer-service message, as the API takes it. */
export type ApiMessage = { msgtype: 'text'; content: string } | { msgtype: 'image'; mediaId: string }

/** WeChat's answer envelope: HTTP 200 with an errcode, even for errors. */
export interface ApiAnswer {
  errcode: number
  errmsg: string
  /** WeCom: users the message could not go to (errcode 0 when only some failed). */
  invaliduser?: string
}

/** Which API family an app speaks: the OA's customer-service API or WeCom's app messages. */
export type Dialect =
  | { kind: 'official-account'; appId: string; appSecret: string }
  | { kind: 'wecom'; corpId: string; corpSecret: string; agentId: number }

/** Errcodes that mean "this access token is no good": it is dropped and the call made once more with a new one. */
export const TOKEN_REFUSED = new Set([40001, 40014, 41001, 42001])

/** The API answered in a way that is not WeChat's envelope (a proxy's HTML error page, a 5xx). */
export class UnreadableAnswer extends Error {
  override name = 'UnreadableAnswer'
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

/**
 * The few WeChat API calls the channel makes, with the app's access token. Throws HttpFailure
 * (no answer), UnreadableAnswer (an answer that is not WeChat's) or TokenUnavailable; every
 * errcode, 0 included, is returned for the caller to judge.
 */
export class WeChatApi {
  constructor(
    private readonly apiRoot: string,
    private readonly dialect: Dialect,
    private readonly http: KeepAliveHttp,
    private readonly tokens: AccessTokens,
  ) {}

  /** Sends one message to `user`. */
  send(user: string, message: ApiMessage): Promise<ApiAnswer> {
    const content = message.msgtype === 'text' ? { msgtype: 'text', text: { content: message.content } } : { msgtype: 'image', image: { media_id: message.mediaId } }
    return this.dialect.kind === 'official-account'
      ? this.#post('/cgi-bin/message/custom/send', { touser: user, ...content })
      : this.#post('/cgi-bin/message/send', { touser: user, agentid: this.dialect.agentId, ...content })
  }

  /** The OA's "typing…" indicator; WeCom has none. */
  typing(user: string, on: boolean): Promise<ApiAnswer> {
    return this.#post('/cgi-bin/message/custom/typing', { touser: user, command: on ? 'Typing' : 'CancelTyping' })
  }

  /** A POST with the current token; a refused token is replaced and the call made once more. */
  async #post(path: string, json: Record<string, unknown>): Promise<ApiAnswer> {
    const token = await this.tokens.get()
    const answer = await this.#call(path, json, token)
    if (!TOKEN_REFUSED.has(answer.errcode)) return answer
    await this.tokens.invalidate(token)
    return this.#call(path, json, await this.tokens.get())
  }

  async #call(path: string, json: Record<string, unknown>, token: string): Promise<ApiAnswer> {
    const body = envelope(await this.http.request(apiUrl(this.apiRoot, path, { access_token: token }), { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(json) }))
    const errcode = Number(body.errcode ?? 0)
    if (!Number.isInteger(errcode)) throw new UnreadableAnswer(`${path}: errcode ${String(body.errcode)} is not a number`, 200)
    return { errcode, errmsg: String(body.errmsg ?? ''), ...(typeof body.invaliduser === 'string' && body.invaliduser ? { invaliduser: body.invaliduser } : {}) }
  }
}

/** Asks WeChat for a new access token of the app (the AccessTokens cache decides when). */
export function tokenIssuer(apiRoot: string, dialect: Dialect, http: KeepAliveHttp): () => Promise<IssuedToken> {
  const url =
    dialect.kind === 'official-account'
      ? apiUrl(apiRoot, '/cgi-bin/token', { grant_type: 'client_credential', appid: dialect.appId, secret: dialect.appSecret })
      : apiUrl(apiRoot, '/cgi-bin/gettoken', { corpid: dialect.corpId, corpsecret: dialect.corpSecret })
  return async () => {
    let body: Record<string, unknown>
    try {
      body = envelope(await http.request(url, { method: 'GET' }))
    } catch (error) {
      throw new TokenUnavailable(`access token unavailable: ${(error as Error).message}`)
    }
    // The errmsg names the problem (invalid appsecret…), never the secret.
    if (typeof body.access_token !== 'string' || body.access_token === '' || (body.errcode !== undefined && body.errcode !== 0))
      throw new TokenUnavailable(`access token refused: ${String(body.errcode)} ${String(body.errmsg ?? '')}`.trim())
    const expiresIn = Number(body.expires_in)
    return { token: body.access_token, expiresInSeconds: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 7200 }
  }
}

/** An API URL under `apiRoot`, which may carry a path prefix (a proxy in front of WeChat). */
function apiUrl(apiRoot: string, path: string, query: Record<string, string>): URL {
  const url = new URL(apiRoot)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
  return url
}

/** WeChat's JSON envelope out of an answer; anything else (a 5xx, an HTML page) is UnreadableAnswer. */
function envelope(answer: { status: number; body: string }): Record<string, unknown> {
  if (answer.status !== 200) throw new UnreadableAnswer(`HTTP ${answer.status}`, answer.status)
  try {
    const parsed: unknown = JSON.parse(answer.body)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>
  } catch {
    // described below
  }
  throw new UnreadableAnswer('the answer is not WeChat JSON', answer.status)
}
