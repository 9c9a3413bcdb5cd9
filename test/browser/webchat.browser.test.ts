import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserPages, chatSelectors } from '../harness/chromium.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'

/**
 * The web chat as a visitor sees it: Debian's Chromium opens the gateway's chat page and the real
 * widget talks to the real gateway. Selectors are the widget's stable `data-sb` hooks.
 */

const TEST_TIMEOUT = 60_000
const ANSWER_TIMEOUT = 10_000
const STATE_TIMEOUT = 30_000
/** Set it to a folder outside the repository to keep screenshots of each step. */
const SCREENSHOT_DIR = process.env.SB_SCREENSHOT_DIR

const sel = chatSelectors

let gw: TestGateway | undefined
const browsers = new BrowserPages()

function requireGateway(): TestGateway {
  if (!gw) throw new Error('the test gateway did not start; see the beforeAll error')
  return gw
}

interface Visitor {
  page: Page
  /** Uncaught exceptions in the page: the widget must never throw. */
  errors: Error[]
}

function newVisitor(): Promise<Visitor> {
  return browsers.newPage({ width: 1024, height: 760 })
}

async function openChat(page: Page): Promise<void> {
  const response = await page.goto(`${requireGateway().url}/t/demo/chat`)
  expect(response?.status()).toBe(200)
  await waitForState(page, 'open')
}

async function waitForState(page: Page, state: string): Promise<void> {
  await page.locator(`${sel.status}[data-state="${state}"]`).waitFor({ state: 'attached', timeout: STATE_TIMEOUT })
}

async function ask(page: Page, question: string): Promise<void> {
  await page.locator(sel.input).fill(question)
  await page.locator(sel.input).press('Enter')
  expect(await page.locator(sel.input).inputValue()).toBe('')
  await page.locator(`${sel.userMessage}[data-status="sent"]`, { hasText: question }).waitFor({ timeout: ANSWER_TIMEOUT })
}

async function waitForAnswer(page: Page, containing: string | RegExp): Promise<void> {
  await page.locator(sel.botMessage, { hasText: containing }).first().waitFor({ timeout: ANSWER_TIMEOUT })
}

async function botSeqs(page: Page): Promise<string[]> {
  return page.locator(sel.botMessage).evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-seq') ?? ''))
}

/** Every bot message once, each with a seq, in increasing order. */
async function expectNoDuplicateBotMessages(page: Page): Promise<void> {
  const seqs = await botSeqs(page)
  expect(seqs.length).toBeGreaterThan(0)
  expect(seqs.every((s) => /^\d+$/.test(s))).toBe(true)
  expect(new Set(seqs).size).toBe(seqs.length)
  const numbers = seqs.map(Number)
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOT_DIR) await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })
}

/** The few browser shapes the page scripts below use (the project compiles without the DOM lib). */
interface PageGlobals {
  __sbStates: string[]
  document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null }
  MutationObserver: new (callback: (records: { oldValue: string | null }[]) => void) => {
    observe(target: unknown, options: { attributes: boolean; attributeFilter: string[]; attributeOldValue: boolean }): void
  }
}

/** Records every value the status takes, so a short-lived "reconnecting" cannot slip by unseen. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate((selector) => {
    const g = globalThis as unknown as PageGlobals
    const status = g.document.querySelector(selector)
    if (!status) throw new Error(`no ${selector}`)
    const seen = [status.getAttribute('data-state') ?? '']
    g.__sbStates = seen
    new g.MutationObserver((records) => {
      // Records are batched: the old values give the states in between, the element the latest.
      for (const record of records) if (record.oldValue !== seen[seen.length - 1]) seen.push(record.oldValue ?? '')
      const now = status.getAttribute('data-state') ?? ''
      if (now !== seen[seen.length - 1]) seen.push(now)
    }).observe(status, { attributes: true, attributeFilter: ['data-state'], attributeOldValue: true })
  }, sel.status)
}

async function recordedStates(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).__sbStates)
}

beforeAll(async () => {
  gw = await startTestGateway()
  await browsers.launch()
}, TEST_TIMEOUT)

afterAll(async () => {
  await browsers.close()
  await gw?.close()
}, TEST_TIMEOUT)

describe('web chat in a real browser', () => {
  // Tests 1 and 2 are one visitor's conversation, across a page reload.
  let visitor: Visitor | undefined

  it(
    'a visitor asks a question on the chat page and sees the answer',
    async () => {
      visitor = await newVisitor()
      const { page } = visitor
      await openChat(page)
      // The server filled in the page template: the tenant's title, in the tab and on the page.
      const title = await page.title()
      expect(title).not.toMatch(/__SB_|^$/)
      expect((await page.locator('h1').textContent())?.trim()).toBe(title)

      await ask(page, 'What are your opening hours?')
      await waitForAnswer(page, 'Monday')
      await screenshot(page, '1-answered')

      await expectNoDuplicateBotMessages(page)
      expect(visitor.errors).toEqual([])
    },
    TEST_TIMEOUT,
  )

  it(
    'the conversation survives a reload',
    async () => {
      if (!visitor) throw new Error('needs the conversation of the previous test')
      const { page } = visitor
      await page.reload()
      await waitForState(page, 'open')

      // History brings back both sides of the conversation, each exactly once.
      const question = page.locator(sel.userMessage, { hasText: 'What are your opening hours?' })
      await question.first().waitFor({ timeout: ANSWER_TIMEOUT })
      await waitForAnswer(page, 'Monday')
      expect(await question.count()).toBe(1)
      expect(await question.getAttribute('data-status')).toBe('sent')
      await expectNoDuplicateBotMessages(page)

      await ask(page, 'How do I get a refund?')
      await waitForAnswer(page, /refund/i)
      await screenshot(page, '2-after-reload')

      await expectNoDuplicateBotMessages(page)
      expect(visitor.errors).toEqual([])
    },
    TEST_TIMEOUT,
  )

  it(
    'the widget reconnects after a gateway restart and shows what it missed',
    async () => {
      const { page, errors } = await newVisitor()
      await openChat(page)
      await ask(page, 'What are your opening hours?')
      await waitForAnswer(page, 'Monday')
      const before = await botSeqs(page)

      await recordStates(page)
      await requireGateway().restart()
      await expect.poll(() => recordedStates(page), { timeout: STATE_TIMEOUT }).toContain('reconnecting')
      await waitForState(page, 'open')
      const states = await recordedStates(page)
      expect(states.lastIndexOf('open')).toBeGreaterThan(states.indexOf('reconnecting'))

      await ask(page, 'How do I get a refund?')
      await waitForAnswer(page, /refund/i)
      await screenshot(page, '3-after-restart')

      // What was shown before the restart is still there, once, and the new answer came after it.
      const after = await botSeqs(page)
      expect(after.slice(0, before.length)).toEqual(before)
      expect(after.length).toBeGreaterThan(before.length)
      await expectNoDuplicateBotMessages(page)
      expect(await page.locator(sel.userMessage, { hasText: 'What are your opening hours?' }).count()).toBe(1)
      expect(errors).toEqual([])
    },
    TEST_TIMEOUT,
  )
})
