/**
 * Pure: a callback URL's query, decoded as WeChat encodes it. `+` is a literal plus (base64 in
 * WeCom's echostr), not a space as in form encoding; the first of repeated names wins.
 * Undefined when an escape is malformed.
 */
export function queryParams(querystring: string): Record<string, string> | undefined {
  const params: Record<string, string> = Object.create(null) as Record<string, string>
  try {
    for (const pair of querystring.split('&')) {
      if (pair === '') continue
      const at = pair.indexOf('=')
      const name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at))
      if (!(name in params)) params[name] = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1))
    }
  } catch {
    return undefined
  }
  return params
}

/** The signed parameters every callback carries. */
export interface SignedParams {
  timestamp: string
  nonce: string
  /** OA: over token, timestamp and nonce. */
  signature?: string
  /** Safe mode and WeCom: over the same and the Encrypt value (or the echostr). */
  msgSignature?: string
}

/** Seconds since the epoch, as WeChat writes them. */
const TIMESTAMP = /^\d{1,12}$/
/** WeChat's nonces are digits (OA) or letters and digits (WeCom); a generous bound on anything else. */
const NONCE = /^[A-Za-z0-9_-]{1,64}$/

/** Pure: the signed parameters, or undefined when timestamp or nonce is missing or malformed. */
export function signedParams(params: Record<string, string>): SignedParams | undefined {
  const { timestamp, nonce, signature, msg_signature: msgSignature } = params
  if (timestamp === undefined || nonce === undefined || !TIMESTAMP.test(timestamp) || !NONCE.test(nonce)) return undefined
  return { timestamp, nonce, ...(signature !== undefined ? { signature } : {}), ...(msgSignature !== undefined ? { msgSignature } : {}) }
}

/** Pure: whether a signed timestamp is within `windowSeconds` of now, either way. */
export const withinWindow = (timestamp: string, windowSeconds: number, nowMs: number): boolean => Math.abs(nowMs / 1000 - Number(timestamp)) <= windowSeconds
