import { describe, expect, it } from 'vitest'
import { resolveSecretFields } from '../../core/config/secret.js'
import { manifest, WeChatConfig } from './manifest.js'

const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const oa = { transport: 'official-account', appId: 'wxb11529c136998cb6', appSecret: 's3cret', token: 'pamtest', encodingAESKey: KEY }
const wecom = { transport: 'wecom', corpId: 'ww0123456789abcdef', agentId: 1000002, corpSecret: 's3cret', token: 'pamtest', encodingAESKey: KEY }

describe('WeChat channel config', () => {
  it('fills in WeChat’s defaults for an Official Account in safe mode', () => {
    expect(WeChatConfig.parse(oa)).toEqual({
      ...oa,
      encryption: 'safe',
      apiRoot: 'https://api.weixin.qq.com',
      typing: true,
      timestampWindowSeconds: 300,
      passiveReplyWaitMs: 1500,
      limits: { user: { points: 5, seconds: 1 }, app: { points: 50, seconds: 1 } },
      requestTimeoutMs: 10_000,
      maxBodyBytes: 65_536,
      locale: 'zh-CN',
    })
    expect(WeChatConfig.parse(wecom)).toMatchObject({ apiRoot: 'https://qyapi.weixin.qq.com', passiveReplyWaitMs: 1500 })
  })

  it('needs the EncodingAESKey unless the OA runs in plain mode; WeCom always does', () => {
    const { encodingAESKey: _, ...keyless } = oa
    expect(WeChatConfig.safeParse(keyless).error?.issues[0]).toMatchObject({ path: ['encodingAESKey'], message: 'required unless encryption is plain' })
    expect(WeChatConfig.safeParse({ ...keyless, encryption: 'compatible' }).success).toBe(false)
    expect(WeChatConfig.safeParse({ ...keyless, encryption: 'plain' }).success).toBe(true)
    const { encodingAESKey: __, ...keylessWecom } = wecom
    expect(WeChatConfig.safeParse(keylessWecom).success).toBe(false)
  })

  it.each([
    ['a 42-character EncodingAESKey', { ...oa, encodingAESKey: KEY.slice(1) }],
    ['a Token with punctuation', { ...oa, token: 'pam-test' }],
    ['a passive reply wait near WeChat’s 5-second deadline', { ...oa, passiveReplyWaitMs: 4500 }],
    ['an unknown key', { ...oa, aesKey: KEY }],
    ['an unknown transport', { ...oa, transport: 'mini-program' }],
    ['WeCom without an agentId', { ...wecom, agentId: undefined }],
  ])('refuses %s', (_name, config) => {
    expect(WeChatConfig.safeParse(config).success).toBe(false)
  })

  it('resolves the secret references of every callback transport, as a tenant file writes them', () => {
    const env = { APP_SECRET: 's3cret', CB_TOKEN: 'pamtest', CB_AES: KEY }
    const references = { token: '${env:CB_TOKEN}', encodingAESKey: '${env:CB_AES}' }
    for (const [config, secretField] of [[oa, 'appSecret'], [wecom, 'corpSecret']] as const) {
      const raw = { ...config, ...references, [secretField]: '${env:APP_SECRET}' }
      const { value, problems } = resolveSecretFields(WeChatConfig, raw, { env, baseDir: '/' }, 'config')
      expect(problems).toEqual([])
      expect(WeChatConfig.parse(value)).toMatchObject({ [secretField]: 's3cret', token: 'pamtest', encodingAESKey: KEY })
    }
  })

  it('serves /callback for the callback transports only', () => {
    expect(manifest.endpoint(WeChatConfig.parse(oa))).toBe('/callback')
    expect(manifest.endpoint(WeChatConfig.parse(wecom))).toBe('/callback')
  })

  it('keeps a text message within WeChat’s 2048 bytes whatever its characters', () => {
    const limit = manifest.capabilities.maxTextLength
    for (const char of ['a', '中', '🙂']) expect(Buffer.byteLength(char.repeat(Math.floor(limit / char.length)))).toBeLessThanOrEqual(2048)
    expect(Buffer.byteLength('\uffff'.repeat(limit))).toBeLessThanOrEqual(2048)
  })
})
