import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Middleware } from 'koa'
import type { WebsocketConfig } from './manifest.js'

const publicDir = new URL('./public/', import.meta.url)

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
/** JSON that cannot end the <script> element it sits in. */
const scriptSafeJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')

/** The chat page and widget script, read once per channel start. */
export async function chatPageHandlers(tenant: string, config: WebsocketConfig): Promise<{ page: Middleware; widget: Middleware }> {
  const [template, widget] = await Promise.all([readFile(new URL('chat.html', publicDir), 'utf8'), readFile(new URL('widget.js', publicDir), 'utf8')])
  const pageConfig = scriptSafeJson({ tenant, title: config.title, greeting: config.greeting ?? null, widget: `/t/${tenant}/chat/widget.js` })
  // Function replacements: tenant text must never be read as `$&`-style replacement patterns.
  const base = template
    .replaceAll('__SB_TITLE__', () => escapeHtml(config.title))
    .replaceAll('__SB_TENANT__', () => encodeURIComponent(tenant))
    .replaceAll('__SB_CONFIG__', () => pageConfig)
  return {
    page: async (ctx) => {
      const nonce = randomBytes(16).toString('base64')
      ctx.type = 'text/html; charset=utf-8'
      ctx.set('Cache-Control', 'no-store')
      ctx.set(
        'Content-Security-Policy',
        `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; connect-src 'self' ws: wss:; frame-ancestors *`,
      )
      ctx.set('Referrer-Policy', 'no-referrer')
      ctx.body = base.replaceAll('<script>', `<script nonce="${nonce}">`)
    },
    widget: async (ctx) => {
      ctx.type = 'application/javascript; charset=utf-8'
      ctx.set('Cache-Control', 'public, max-age=300')
      ctx.set('Cross-Origin-Resource-Policy', 'cross-origin')
      ctx.body = widget
    },
  }
}
