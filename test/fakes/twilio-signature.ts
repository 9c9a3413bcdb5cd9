import { createHmac } from 'node:crypto'

/**
 * Twilio's X-Twilio-Signature, written from the documented algorithm rather than taken from the
 * twilio package, so the fake cross-checks the channel's validator instead of agreeing with it by
 * construction: base64 HMAC-SHA1, keyed with the auth token, over the URL as requested followed by
 * every POST parameter sorted by name as name + value (a repeated name: its values sorted).
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string | readonly string[]> = {}): string {
  let signed = url
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!
    for (const one of typeof value === 'string' ? [value] : [...value].sort()) signed += name + one
  }
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64')
}
