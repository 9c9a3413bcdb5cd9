import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js'
import { chatSelectors as sel, launchChromium, missingChromium } from '../harness/chromium.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { llmAgentTenant, quotingModel, tempConfig } from '../kit/tenants.js'

/**
 * An LLM answer as a visitor sees it: the widget shows it growing while the model writes, then
 * replaces the draft with the stored message — one bubble, never two.
 */
let llm: FakeOpenAI
let gw: TestGateway
let browser: Browser | undefined
let config: Awaited<ReturnType<typeof tempConfig>>

beforeAll(async () => {
  // Slow enough that the draft is on screen for a while.
  llm = await startFakeOpenAI({ responder: quotingModel, tokenDelayMs: 60 })
  config = await tempConfig({ writer: llmAgentTenant('writer', llm.url) }, { demoKnowledge: true })
  gw = await startTestGateway({ configDir: config.dir, env: { FAKE_OPENAI_KEY: llm.apiKey } })
  browser = await launchChromium()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await gw?.close()
  await llm?.close()
  await config?.remove()
})

describe('a streamed answer in a real browser', () => {
  it('grows in a draft bubble and is replaced by the final message', async () => {
    if (!browser) throw missingChromium()
    const page = await (await browser.newContext()).newPage()
    const errors: Error[] = []
    page.on('pageerror', (error) => errors.push(error))
    await page.goto(`${gw.url}/t/writer/chat`)
    await page.locator(`${sel.status}[data-state="open"]`).waitFor({ state: 'attached', timeout: 30_000 })
    await page.locator(sel.input).fill('How much is the Pro plan per month?')
    await page.locator(sel.input).press('Enter')

    const draft = page.locator(sel.draft)
    await draft.waitFor({ timeout: 10_000 })
    const early = (await draft.textContent()) ?? ''
    const answer = page.locator(sel.botMessage).last()
    await answer.waitFor({ timeout: 15_000 })
    const final = (await answer.textContent()) ?? ''
    expect(early.length).toBeGreaterThan(0)
    expect(early.length).toBeLessThan(final.length) // seen while still being written
    expect(final.startsWith(early.trim())).toBe(true)
    expect(final).toMatch(/\[1\]$/)
    expect(await draft.count()).toBe(0)
    expect(await page.locator(sel.botMessage).count()).toBe(1)
    expect(errors).toEqual([])
  }, 60_000)
})
