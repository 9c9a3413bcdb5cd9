import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder'
import { processWithCloudAdapter } from '../../test/fakes/cloud-adapter-http.js'
import { cachedToken, serve, setting, WEBHOOK_PATH } from './server-kit.js'

/**
 * The SDK's own echo bot (notes/deps.md §5): CloudAdapter with auth on, offline — every
 * parameterized setting pointed at the sink, so inbound JWTs are validated against its OpenID
 * metadata and keys — replying with `context.sendActivity`. Outbound requests are signed by a
 * credentials factory with a cached token from the sink's token endpoint (botbuilder's own MSAL
 * path refuses an http:// authority). Served by plain node:http, the lightest host it has.
 */
type CredentialsFactory = NonNullable<ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[1]>

const appId = setting('BENCH_APP_ID')
const openId = setting('BENCH_OPENID_URL')
const token = cachedToken(setting('BENCH_TOKEN_URL'), appId, setting('BENCH_APP_PASSWORD'))
const credentials: CredentialsFactory = {
  isValidAppId: async (candidate) => candidate === appId,
  isAuthenticationDisabled: async () => false,
  createCredentials: async () => ({
    async signRequest(request) {
      request.headers.set('authorization', `Bearer ${await token()}`)
      return request
    },
  }),
}
const adapter = new CloudAdapter(
  new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: appId,
      MicrosoftAppPassword: setting('BENCH_APP_PASSWORD'),
      MicrosoftAppType: 'MultiTenant',
      // Setting any of these makes botbuilder "parameterized": every one must then be set.
      ToBotFromChannelOpenIdMetadataUrl: openId,
      ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
      ToBotFromEmulatorOpenIdMetadataUrl: openId,
      ToChannelFromBotLoginUrl: setting('BENCH_LOGIN_URL'),
      ToChannelFromBotOAuthScope: 'https://api.botframework.com',
      OAuthUrl: setting('BENCH_SERVICE_URLS').split(',')[0]!,
      CallerId: 'urn:botframework:azure',
      ValidateAuthority: true,
    },
    credentials,
    { requiredEndorsements: ['msteams'] },
  ),
)
const echo = async (context: TurnContext) => {
  if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`)
}
await token()

serve((req, res) => {
  processWithCloudAdapter(adapter, req, res, echo).catch(() => {
    res.statusCode = 500
    res.end()
  })
}, WEBHOOK_PATH.teams)
