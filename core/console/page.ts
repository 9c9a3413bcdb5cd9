import { readdir, readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'

const publicDir = new URL('./public/', import.meta.url)

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
}

// No inline script or style anywhere on the page: an injected message cannot run as code.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export interface ConsoleAsset {
  body: string
  headers: Record<string, string>
}

/**
 * The console's files (public/: the page, its modules, its stylesheet), read once. Only what is
 * in that folder is served, by exact name.
 */
export async function loadConsoleAssets(): Promise<ReadonlyMap<string, ConsoleAsset>> {
  const names = (await readdir(fileURLToPath(publicDir))).filter((name) => TYPES[extname(name)])
  const assets = new Map<string, ConsoleAsset>()
  for (const name of names) {
    const body = await readFile(new URL(name, publicDir), 'utf8')
    assets.set(name, {
      body,
      headers: {
        'Content-Type': TYPES[extname(name)]!,
        'Content-Security-Policy': CSP,
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
        // The page must pick up a new version at once; its modules may be reused briefly.
        'Cache-Control': name.endsWith('.html') ? 'no-store' : 'public, max-age=300',
      },
    })
  }
  return assets
}
