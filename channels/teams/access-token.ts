import { TokenUnavailable, type IssuedToken, type KeepAliveHttp } from '../../core/index.js'

export interface ConnectorTokenOptions {
  tokenUrl: string
  appId: string
  appPassword: string
  /** `<resource>/.default`; the connector accepts tokens for https://api.botframework.com. */
  scope: string
}

/**
 * Fetches the bot's bearer token for the Bot Connector (Entra client_credentials). Core's
 * AccessTokens caches it until shortly before it expires and drops it on a 401; Entra does not
 * revoke earlier tokens when it issues a new one, so replicas need not share it.
 */
export function connectorTokenIssuer(options: ConnectorTokenOptions, http: KeepAliveHttp): () => Promise<IssuedToken> {
  const { tokenUrl, appId, appPassword, scope } = options
  return async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: appPassword, scope })
    let response
    try {
      response = await http.request(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })
    } catch (error) {
      throw new TokenUnavailable(`token endpoint unreachable: ${(error as Error).message}`)
    }
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(response.body) as Record<string, unknown>
    } catch {
      // described below from the status alone
    }
    if (response.status !== 200 || typeof body.access_token !== 'string') {
      // AAD's error_description names the problem (AADSTS7000215: invalid secret…) and never the secret.
      const detail = typeof body.error_description === 'string' ? body.error_description.split(' Trace ID:')[0] : typeof body.error === 'string' ? body.error : 'no token'
      throw new TokenUnavailable(`token endpoint answered ${response.status}: ${detail}`, response.status)
    }
    return { token: body.access_token, expiresInSeconds: typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in) || 3600 }
  }
}
