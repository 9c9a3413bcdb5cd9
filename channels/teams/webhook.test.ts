import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa from 'koa'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { isSwitchboardError, sbError, type ConversationLinks, type InboundActivity } from '../../core/index.js'
import { teamsFixtures } from './fixtures/index.js'
import { ServiceUrlAllowlist } from './service-urls.js'
import { teamsWebhook, type WebhookDeps } from './webhook.js'

const personal = teamsFixtures.find((f) => f.name.startsWith('a personal'))!.raw as Record<string, unknown>
const submit = teamsFixtures.find((f) => f.name.startsWith('an adaptiveCard/action'))!.raw as Record<string, unknown>
const reaction = teamsFixtures.find((f) => f.name.startsWith('a reaction'))!.raw as Record<string, unknown>

let server: Server | undefined
afterEach(() => server?.close())

/** The webhook behind a Koa app that maps errors the way the gateway does. */
async function endpoint(receive: (activity: InboundActivity) => Promise<unknown>, overrides: Partial<WebhookDeps> = {}) {
  const received: InboundActivity[] = []
  const app = new Koa()
  app.use(async (ctx, next) => {
    try {
      await next()
    } catch (error) {
      const known = isSwitchboardError(error) ? error : sbError('SB_ERR_INTERNAL')
      ctx.status = known.status
      if (known.retryAfterMs !== undefined) ctx.set('Retry-After', String(Math.ceil(known.retryAfterMs / 1000)))
      ctx.body = { error: { code: known.code } }
    }
  })
  app.use(
    teamsWebhook({
      owner: { tenant: 'acme', instance: 'teams' },
      maxBodyBytes: 1_048_576,
      serviceUrls: new ServiceUrlAllowlist(['https://smba.trafficmanager.net/']),
      verify: async () => ({ ok: true }),
      links: { resolve: async () => 'conversation-1' } as unknown as ConversationLinks,
      delivery: {
        settled: async () => true,
        receive: async (activity) => {
          received.push(activity)
          return (await receive(activity)) as never
        },
      },
      log: pino({ level: 'silent' }),
      clientAddress: () => '127.0.0.1',
      securityEvent: () => {},
      ...overrides,
    }),
  )
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server!.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const post = async (activity: unknown) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x.y.z' }, body: JSON.stringify(activity) })
    const text = await response.text()
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: text ? (JSON.parse(text) as unknown) : undefined }
  }
  return { post, received }
}

const accepted = { status: 'accepted', turnId: 't', messageId: 'm' }

describe('acknowledging Teams only for what is stored', () => {
  it('stores a message under our conversation id, deduplicated per Teams conversation, then answers 200', async () => {
    const { post, received } = await endpoint(async () => accepted)
    expect((await post(personal)).status).toBe(200)
    expect(received[0]).toMatchObject({ id: `${(personal.conversation as { id: string }).id}|${personal.id as string}`, conversation: { id: 'conversation-1' } })
  })

  it('answers a duplicate (Teams redelivered it) with 200 too', async () => {
    const { post } = await endpoint(async () => ({ status: 'duplicate', turnId: 't', messageId: 'm', done: true }))
    expect((await post(personal)).status).toBe(200)
  })

  it.each([
    ['SB_ERR_RATE_LIMITED', 429, '3'],
    ['SB_ERR_SHUTTING_DOWN', 503, '1'],
    ['SB_ERR_STORE_UNAVAILABLE', 503, '1'],
  ] as const)('%s → %i with Retry-After, so Teams delivers it again', async (code, status, retryAfter) => {
    const { post } = await endpoint(async () => {
      const error = sbError(code)
      if (code === 'SB_ERR_RATE_LIMITED') error.retryAfterMs = 2500
      throw error
    })
    expect(await post(personal)).toMatchObject({ status, retryAfter })
  })

  it('answers 503, never 500, when storing fails unexpectedly or the conversation cannot be linked', async () => {
    const broken = await endpoint(async () => {
      throw new Error('connection terminated')
    })
    expect((await broken.post(personal)).status).toBe(503)
    server?.close()
    const unlinked = await endpoint(async () => accepted, {
      links: {
        resolve: async () => {
          throw new Error('database down')
        },
      } as unknown as ConversationLinks,
    })
    expect((await unlinked.post(personal)).status).toBe(503)
  })

  it('answers a card action invoke with an invoke response, and stores the press as a postback', async () => {
    const { post, received } = await endpoint(async () => accepted)
    expect(await post(submit)).toMatchObject({ status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message' } })
    expect(received[0]).toMatchObject({ kind: 'postback', text: 'refund' })
  })

  it('acknowledges what it does not answer without storing it', async () => {
    const { post, received } = await endpoint(async () => accepted)
    expect((await post(reaction)).status).toBe(200)
    expect(received).toEqual([])
  })

  it('refuses a serviceUrl outside the allowlist before verifying the token', async () => {
    let verified = false
    const { post } = await endpoint(async () => accepted, {
      verify: async () => {
        verified = true
        return { ok: true }
      },
    })
    expect((await post({ ...personal, serviceUrl: 'https://attacker.example/' })).status).toBe(403)
    expect(verified).toBe(false)
  })

  it('passes the verdict of the token check on: 401, 403, and 503 while keys are unreachable', async () => {
    for (const status of [401, 403, 503] as const) {
      const { post } = await endpoint(async () => accepted, { verify: async () => ({ ok: false, status, reason: 'test' }) })
      expect((await post(personal)).status).toBe(status)
      server?.close()
    }
  })
})
