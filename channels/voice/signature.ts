import twilio from 'twilio'

/** Form parameters as posted; a repeated name keeps all its values (the signature covers each). */
export type FormParams = Record<string, string | string[]>

export interface SignedRequest {
  /** X-Twilio-Signature, if any. */
  signature: string | undefined
  /** X-Twilio-Webhooks-Signature-Settings: names HMAC_SHA256 for webhooks signed with a shared key. */
  settings: string | undefined
  /** The URL Twilio requested: the public base URL plus the path and query as received. */
  url: string
  params: FormParams
}

const ALGORITHMS = new Set([twilio.HMAC_SHA1, twilio.HMAC_SHA256])

/**
 * True when one of the tokens (the current one first, then those kept through a rotation) signed
 * this request. twilio's validator tries the URL with and without its default port, as Twilio's
 * own back end is inconsistent about it, and compares in constant time.
 */
export function signedByTwilio(request: SignedRequest, tokens: readonly string[]): boolean {
  if (!request.signature) return false
  const algorithm = twilio.getSignatureAlgorithm(request.settings).toUpperCase()
  // The validator warns on the console for an algorithm it does not know; a forger must not be able to fill the log.
  if (!ALGORITHMS.has(algorithm)) return false
  return tokens.some((token) => twilio.validateRequest(token, request.signature!, request.url, request.params, algorithm))
}
