/**
 * Whether a browser page at `origin` may open a socket. Same-origin (the gateway's own chat page)
 * is always allowed; a missing Origin means a non-browser client, which Origin checks cannot
 * authenticate anyway.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return true
  if (allowed.includes('*')) return true
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return false
  }
  if (host && parsed.host.toLowerCase() === host.toLowerCase()) return true
  return allowed.some((entry) => {
    try {
      return new URL(entry).origin === parsed.origin
    } catch {
      return false
    }
  })
}
