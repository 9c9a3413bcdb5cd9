import { describe, expect, it } from 'vitest'
import { TelegramConfig } from './manifest.js'
import { deriveWebhookSecret, secretAccepted } from './secret.js'

describe('the webhook secret', () => {
  const token = '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11'

  it('is derived the same on every replica, differs per instance, and fits Telegram’s alphabet', () => {
    const secret = deriveWebhookSecret(token, 'acme', 'tg')
    expect(deriveWebhookSecret(token, 'acme', 'tg')).toBe(secret)
    expect(deriveWebhookSecret(token, 'acme', 'tg-2')).not.toBe(secret)
    expect(deriveWebhookSecret(token, 'globex', 'tg')).not.toBe(secret)
    expect(deriveWebhookSecret('654321:other', 'acme', 'tg')).not.toBe(secret)
    expect(secret).toMatch(/^[A-Za-z0-9_-]{1,256}$/)
    expect(secret).not.toContain(token.split(':')[1])
  })

  it('is accepted exactly: not missing, not changed in case, not a prefix, not padded', () => {
    const secret = 'Current_Secret-1'
    expect(secretAccepted(secret, [secret])).toBe(true)
    for (const wrong of [undefined, '', 'current_secret-1', 'Current_Secret-', 'Current_Secret-11', ` ${secret}`, `${secret}\n`]) expect(secretAccepted(wrong, [secret])).toBe(false)
  })

  it('accepts the previous secrets during a rotation, and only those', () => {
    const accepted = ['new-secret', 'old-secret']
    expect(secretAccepted('new-secret', accepted)).toBe(true)
    expect(secretAccepted('old-secret', accepted)).toBe(true)
    expect(secretAccepted('older-secret', accepted)).toBe(false)
  })

  it('must be 1–256 characters of A–Z, a–z, 0–9, _ and - when configured', () => {
    const config = (extra: Record<string, unknown>) => TelegramConfig.safeParse({ botToken: token, ...extra })
    expect(config({ webhookSecret: 'ok_Secret-1' }).success).toBe(true)
    expect(config({ webhookSecret: 'has space' }).success).toBe(false)
    expect(config({ webhookSecret: 'x'.repeat(257) }).success).toBe(false)
    expect(config({ previousSecrets: ['fine', 'not/fine'] }).success).toBe(false)
  })
})
