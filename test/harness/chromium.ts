import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

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
