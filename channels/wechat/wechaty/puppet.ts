import type { InjectionToken } from 'tsyringe'
import type { WechatyOptions } from 'wechaty'
import { sbError } from '../../../core/index.js'

/** A puppet instance, as WechatyBuilder takes it. */
export type Puppet = Exclude<NonNullable<WechatyOptions['puppet']>, string>

export interface PuppetRequest {
  tenant: string
  instance: string
  /** The configured package name. */
  puppet: string
  /** `puppetOptions` with `puppetToken` as `token`. */
  options: Record<string, unknown>
}

/**
 * Supplies the puppet instead of importing the configured package. Tests register one in the
 * gateway's container to hand the channel a wechaty-puppet-mock bound to a Mocker they drive; an
 * application embedding the gateway could hand it a puppet it built. The gateway registers none.
 */
export type PuppetProvider = (request: PuppetRequest) => Puppet
export const PuppetProvider: InjectionToken<PuppetProvider> = Symbol.for('switchboard.wechat.wechaty.PuppetProvider')

/**
 * The puppet for a channel instance: from the provider when one is registered, otherwise by
 * importing the package (only now, so gateways without a wechaty channel never load one).
 */
export async function createPuppet(request: PuppetRequest, provider?: PuppetProvider): Promise<Puppet> {
  if (provider) return provider(request)
  const refuse = (message: string, cause?: unknown) =>
    sbError('SB_ERR_CONFIG_INVALID', `wechat channel "${request.instance}": ${message}`, [{ path: 'config.puppet', message }], cause)
  let module: unknown
  try {
    module = await import(request.puppet)
  } catch (error) {
    throw refuse(`puppet package "${request.puppet}" could not be loaded (${(error as Error).message}); install it next to the gateway`, error)
  }
  const PuppetClass = defaultExport(module)
  if (!PuppetClass) throw refuse(`"${request.puppet}" is not a Wechaty puppet: it has no default export to construct`)
  try {
    return new PuppetClass(request.options)
  } catch (error) {
    // wechaty-puppet-service, for one, refuses to be built without a token.
    throw refuse(`puppet "${request.puppet}" refused its options: ${(error as Error).message}; check puppetToken and puppetOptions`, error)
  }
}

type PuppetConstructor = new (options: Record<string, unknown>) => Puppet

/** Puppets export their class as default; a CommonJS one arrives wrapped in one or two `default`s. */
function defaultExport(module: unknown): PuppetConstructor | undefined {
  let candidate = module
  for (let depth = 0; depth < 3 && candidate && typeof candidate === 'object' && 'default' in candidate; depth++) {
    candidate = candidate.default
    if (typeof candidate === 'function') return candidate as PuppetConstructor
  }
  return undefined
}
