// The admin API as the console uses it. Every action an agent takes is one of these calls, so the
// gateway authorises and audits each one exactly as it would for any other client.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

async function request(method, url, { token, body } = {}) {
  const headers = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw new ApiError(0, 'NETWORK', 'The gateway cannot be reached. Check your connection and try again.')
  }
  const text = await response.text()
  let parsed
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (!response.ok) {
    const error = parsed && parsed.error
    throw new ApiError(response.status, error ? error.code : `HTTP_${response.status}`, error ? error.message : `The gateway answered ${response.status}.`)
  }
  return parsed
}

/** Trades an API key or a sign-in token for a console session. */
export const signIn = (credential) => request('POST', '/console/session', { body: { credential } })

/**
 * Calls under /admin/v1/tenants/<the agent's tenant>/. `onUnauthorized` runs when the session
 * has ended (expired, or its key revoked), before the error reaches the caller.
 */
export function tenantApi(session, onUnauthorized) {
  const base = `/admin/v1/tenants/${encodeURIComponent(session.principal.tenant)}/`
  const call = async (method, path, body) => {
    try {
      return await request(method, base + path, { token: session.token, body })
    } catch (error) {
      if (error.status === 401) onUnauthorized()
      throw error
    }
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body = {}) => call('POST', path, body),
    patch: (path, body) => call('PATCH', path, body),
  }
}

export const pathId = (id) => encodeURIComponent(id)
