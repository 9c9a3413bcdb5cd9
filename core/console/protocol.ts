import type { ErrorCode } from '../errors.js'
import type { QueuedHandoff, SupportEvent } from '../support/types.js'
import type { AgentPrincipal } from './session.js'

/** Close codes a console page acts on: 4401 means "sign in again", 4429 "too many consoles open". */
export const CloseCode = {
  goingAway: 1001,
  unauthorized: 4401,
  tooMany: 4429,
} as const

/** The one frame a console sends: its session, first thing, within AUTH_TIMEOUT_MS. */
export const AUTH_TIMEOUT_MS = 5_000

export type AuthFrame = { type: 'auth'; token: string }

/** Pure: raw socket data → the auth frame, or undefined for anything else. */
export function decodeAuthFrame(data: string): AuthFrame | undefined {
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return undefined
  }
  if (!value || typeof value !== 'object') return undefined
  const { type, token } = value as Record<string, unknown>
  return type === 'auth' && typeof token === 'string' && token.length > 0 ? { type, token } : undefined
}

export const encode = {
  ready: (principal: AgentPrincipal, queue: QueuedHandoff[]) => JSON.stringify({ type: 'ready', principal, queue }),
  event: (event: SupportEvent) => JSON.stringify({ type: 'event', event }),
  error: (code: ErrorCode, message: string) => JSON.stringify({ type: 'error', code, message }),
}
