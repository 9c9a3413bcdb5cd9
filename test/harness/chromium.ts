import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

/** Debian's Chromium; `.ci/run` installs it. */
export const CHROMIUM = '/usr/bin/chromium'

/** The widget's stable `data-sb` hooks. */
export const chatSelectors = {
  status: '[data-sb="status"]',
  input: '[data-sb="input"]',
  messages: '[data-sb="messages"]',
  userMessage: '[data-sb="message"][data-direction="in"]',
  botMessage: '[data-sb="message"][data-direction="out"]',
  draft: '[data-sb="draft"]',
} as const

/** Undefined when Chromium is not installed: callers fail every test with `missingChromium`. */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** A missing browser is a broken test machine, not a reason to skip. */
export const missingChromium = () => new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`)

/**
 * One Chromium per test file and a fresh profile (context) per page, each page's uncaught errors
 * collected so a test can require there were none. `launch()` in beforeAll, `close()` in afterAll.
 */
export class BrowserPages {
  #browser: Browser | undefined
  readonly #contexts: BrowserContext[] = []

  async launch(): Promise<void> {
    this.#browser = await launchChromium()
  }

  /** A missing browser is a broken test machine, not a reason to skip: every test fails with this. */
  get browser(): Browser {
    if (!existsSync(CHROMIUM)) throw missingChromium()
    if (!this.#browser) throw new Error('Chromium did not start; see the beforeAll error')
    return this.#browser
  }

  async newPage(viewport: { width: number; height: number }): Promise<{ page: Page; errors: Error[] }> {
    const context = await this.browser.newContext({ viewport })
    this.#contexts.push(context)
    const page = await context.newPage()
    const errors: Error[] = []
    page.on('pageerror', (error) => errors.push(error))
    return { page, errors }
  }

  async close(): Promise<void> {
    for (const context of this.#contexts.splice(0)) await context.close().catch(() => {})
    await this.#browser?.close()
  }
}
