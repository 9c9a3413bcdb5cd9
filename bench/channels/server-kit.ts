import { timingSafeEqual } from 'node:crypto'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import Koa, { type Middleware } from 'koa'
import { failed, report, serveControl } from '../ws-chat/server-control.js'

/** What the bare servers share: settings from the environment, one POST route, the IPC handshake. */

export function setting(name: string): string {
  const value = process.env[name]
  if (!value) failed(new Error(`${name} is not set`))
  return value
}

/** The webhook path every server of a platform answers on (the gateway's differs, and comes from its config). */
export const WEBHOOK_PATH = { telegram: '/webhook', teams: '/api/messages', wechat: '/wechat', voice: '/voice' } as const

/** Koa 3 and @koa/router, as in the gateway: one POST route, nothing else. */
export function serveKoa(path: string, handler: Middleware): void {
  const app = new Koa()
  const router = new Router()
  router.post(path, handler)
  app.use(router.routes())
  serve(app.callback(), path)
}

export function serve(listener: RequestListener, path: string): void {
  const server: Server = createServer(listener)
  server.keepAliveTimeout = 60_000
  server.on('error', failed)
  server.listen(0, '127.0.0.1', 4096, () => report({ type: 'ready', port: (server.address() as AddressInfo).port, pid: process.pid, path }))
  serveControl(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
}

export function secretMatches(presented: string | undefined, secret: string): boolean {
  if (presented === undefined) return false
  const a = Buffer.from(presented)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A client_credentials token from the fake AAD, fetched once and renewed ahead of expiry. */
export function cachedToken(tokenUrl: string, appId: string, appPassword: string, scope = 'https://api.botframework.com/.default'): () => Promise<string> {
  let cached: { token: string; expiresAt: number } | undefined
  let pending: Promise<string> | undefined
  const fetchToken = async () => {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: appPassword, scope }),
    })
    if (!response.ok) throw new Error(`token endpoint answered ${response.status}`)
    const body = (await response.json()) as { access_token: string; expires_in: number }
    cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 }
    return cached.token
  }
  return async () => {
    if (cached && cached.expiresAt > Date.now() + 300_000) return cached.token
    pending ??= fetchToken().finally(() => (pending = undefined))
    return pending
  }
}
