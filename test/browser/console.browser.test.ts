import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeyStore } from '../../core/admin/auth/api-keys.js'
import { AdminClient } from '../harness/admin-client.js'
import { BrowserPages, chatSelectors } from '../harness/chromium.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { tempConfig, webchatTenant, supportDeskPlugins } from '../kit/tenants.js'

/**
 * The scenario end to end in Debian's Chromium: a customer in the web chat asks for a
 * person; an agent in the console sees them arrive in the queue, takes the conversation, reads
 * what the bot made of it, replies, keeps an internal note, moves the ticket and hands the
 * customer back to the bot, which answers again. The ticket history and the audit log hold
 * every step; an agent of another tenant sees none of it.
 */

const TEST_TIMEOUT = 120_000
const WAIT = 15_000
/** Set it to a folder outside the repository to keep screenshots of the console at each step. */
const SCREENSHOT_DIR = process.env.SB_SCREENSHOT_DIR

const SHOP_YAML = stringify({
  id: 'shop',
  locale: 'en',
  channels: [{ id: 'web', type: 'websocket', config: { title: 'Shop support' } }],
  plugins: supportDeskPlugins(),
})

const chat = chatSelectors
const tid = (id: string) => `[data-testid="${id}"]`

let gw: TestGateway | undefined
let config: Awaited<ReturnType<typeof tempConfig>> | undefined
const browsers = new BrowserPages()
const keys = { agent: '', admin: '', rival: '' }

function requireGateway(): TestGateway {
  if (!gw) throw new Error('the test gateway did not start; see the beforeAll error')
  return gw
}

/** A fresh browser profile; uncaught page errors are collected, and must stay empty. */
function newPage(): Promise<{ page: Page; errors: Error[] }> {
  return browsers.newPage({ width: 1280, height: 900 })
}

async function openChat(page: Page): Promise<void> {
  expect((await page.goto(`${requireGateway().url}/t/shop/chat`))?.status()).toBe(200)
  await page.locator(`${chat.status}[data-state="open"]`).waitFor({ state: 'attached', timeout: WAIT })
}

async function ask(page: Page, text: string): Promise<void> {
  await page.locator(chat.input).fill(text)
  await page.locator(chat.input).press('Enter')
  await page.locator(`${chat.userMessage}[data-status="sent"]`, { hasText: text }).waitFor({ timeout: WAIT })
}

const customerSees = (page: Page, text: string | RegExp) => page.locator(chat.botMessage, { hasText: text }).first().waitFor({ timeout: WAIT })

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOT_DIR) await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })
}

async function signInToConsole(page: Page, key: string): Promise<void> {
  expect((await page.goto(`${requireGateway().url}/console`))?.status()).toBe(200)
  await page.getByLabel('API key or token').fill(key)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator(`${tid('connection')}[data-state="live"]`).waitFor({ timeout: WAIT })
}

beforeAll(async () => {
  config = await tempConfig({ shop: SHOP_YAML, rival: webchatTenant({ id: 'rival' }) }, { demoKnowledge: true })
  gw = await startTestGateway({ configDir: config.dir })
  const store = gw.gateway.container.resolve(ApiKeyStore)
  keys.agent = (await store.create('shop', { name: 'Alice', role: 'agent', createdBy: 'test' })).key
  keys.admin = (await store.create('shop', { name: 'Supervisor', role: 'tenant-admin', createdBy: 'test' })).key
  keys.rival = (await store.create('rival', { name: 'Mallory', role: 'agent', createdBy: 'test' })).key
  await browsers.launch()
}, TEST_TIMEOUT)

afterAll(async () => {
  await browsers.close()
  await gw?.close()
  await config?.remove()
}, TEST_TIMEOUT)

describe('the agent console in a real browser', () => {
  it(
    'a customer asks for a person, an agent takes over in the console, and the bot answers again afterwards',
    async () => {
      const admin = new AdminClient(requireGateway().url)
      const customer = await newPage()
      const agent = await newPage()
      const rival = await newPage()

      // The agent signs in first: the customer must appear in the queue live, without a reload.
      await signInToConsole(agent.page, keys.agent)
      await expect.poll(() => agent.page.locator(tid('queue-row')).count()).toBe(0)
      await signInToConsole(rival.page, keys.rival)

      await openChat(customer.page)
      await ask(customer.page, 'I want to talk to a human')
      await customerSees(customer.page, /in line/)

      const row = agent.page.locator(tid('queue-row')).first()
      await row.waitFor({ timeout: WAIT })
      await screenshot(agent.page, 'console-0-queue')
      await expect.poll(() => row.textContent()).toMatch(/waiting \d+s/)
      const conversationId = (await row.getAttribute('data-conversation'))!
      expect(conversationId).toBeTruthy()
      // Another tenant's agent sees an empty queue all along.
      expect(await rival.page.locator(tid('queue-row')).count()).toBe(0)

      // Take it: the transcript opens with what the bot made of the customer's words.
      await row.getByRole('button', { name: 'Take' }).click()
      await agent.page.locator(tid('handoff-state'), { hasText: 'Taken by you' }).waitFor({ timeout: WAIT })
      await agent.page.locator(`${tid('message')}[data-speaker="customer"]`, { hasText: 'I want to talk to a human' }).waitFor({ timeout: WAIT })
      await agent.page.locator(tid('annotations'), { hasText: /intent human_agent/ }).first().waitFor({ timeout: WAIT })
      await customerSees(customer.page, 'Alice has joined the conversation.')
      expect(await agent.page.locator(tid('queue-row')).count()).toBe(0)

      // A reply goes to the customer's chat, and shows in the console as the agent's.
      const reply = agent.page.locator(tid('reply-input'))
      await reply.fill('Hi, I am Alice from the shop. How can I help?')
      await reply.press('Enter')
      await customerSees(customer.page, 'Hi, I am Alice from the shop. How can I help?')
      await agent.page.locator(`${tid('message')}[data-speaker="agent"]`, { hasText: 'I am Alice' }).waitFor({ timeout: WAIT })
      await agent.page.locator(tid('handoff-state'), { hasText: 'With you' }).waitFor({ timeout: WAIT })

      // While the agent has it, the customer's words reach the console live and the bot stays quiet.
      await ask(customer.page, 'My parcel never arrived')
      await agent.page.locator(`${tid('message')}[data-speaker="customer"]`, { hasText: 'My parcel never arrived' }).waitFor({ timeout: WAIT })

      // An internal note stays in the console.
      await agent.page.locator(tid('note-input')).fill('Internal: offer a replacement parcel')
      await agent.page.locator(tid('note-add')).click()
      await agent.page.locator(tid('note'), { hasText: 'offer a replacement parcel' }).waitFor({ timeout: WAIT })
      await screenshot(agent.page, 'console-1-working')

      // The ticket opened on the escalation went to work when the agent took over; the panel
      // offers only the moves allowed from there, and the agent puts it on hold for the customer.
      const status = agent.page.locator(tid('ticket-status'))
      await status.waitFor({ timeout: WAIT })
      expect(await status.inputValue()).toBe('in_progress')
      expect(await status.locator('option').allTextContents()).toEqual(['in progress', 'pending', 'resolved'])
      await expect.poll(() => agent.page.locator(tid('sla')).textContent()).toMatch(/due in|overdue by/)
      await status.selectOption('pending')
      await expect.poll(() => status.locator('option').allTextContents(), { timeout: WAIT }).toEqual(['pending', 'in progress', 'resolved'])
      const reference = (await agent.page.locator(tid('ticket-reference')).textContent())!.split(' · ')[0]!

      // Resolve: the customer is back with the bot, which answers their next question.
      await agent.page.getByRole('button', { name: 'Resolve & return to bot' }).click()
      await agent.page.locator(tid('handoff-state'), { hasText: 'Resolved' }).waitFor({ timeout: WAIT })
      expect(await reply.isDisabled()).toBe(true)
      await customerSees(customer.page, /back with the assistant/)
      await screenshot(agent.page, 'console-2-resolved')
      await ask(customer.page, 'How do I get a refund?')
      await customerSees(customer.page, /refund/i)

      // The customer never saw the note.
      expect(await customer.page.locator(chat.messages).textContent()).not.toContain('replacement parcel')
      expect(customer.errors).toEqual([])
      expect(agent.errors).toEqual([])
      expect(rival.errors).toEqual([])

      // The ticket moved through its states, each move in its history.
      const ticket = await admin.get(`/tenants/shop/tickets/${reference}`, { key: keys.agent })
      expect(ticket.status).toBe(200)
      const moves = (ticket.body.history as { changes: { status?: { from: string | null; to: string } } }[]).flatMap((event) => (event.changes.status ? [event.changes.status] : []))
      expect(moves).toEqual([
        { from: null, to: 'open' },
        { from: 'open', to: 'in_progress' },
        { from: 'in_progress', to: 'pending' },
        { from: 'pending', to: 'resolved' },
      ])
      expect(ticket.body.ticket.status).toBe('resolved')

      // The audit log holds every step the agent took.
      const audit = await admin.get('/tenants/shop/audit?limit=500', { key: keys.admin })
      expect(audit.status).toBe(200)
      const actions = new Set((audit.body.entries as { action: string; outcome: string }[]).filter((e) => e.outcome === 'success').map((e) => e.action))
      for (const action of ['console.sign_in', 'handoff.take', 'handoff.reply', 'note.add', 'ticket.update', 'handoff.resolve']) expect(actions, action).toContain(action)

      // Another tenant's agent, signed in to the console, finds nothing of this conversation.
      const session = await fetch(`${requireGateway().url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credential: keys.rival }) })
      const { token } = (await session.json()) as { token: string }
      for (const tenant of ['shop', 'rival']) {
        const desk = await admin.get(`/tenants/${tenant}/conversations/${conversationId}/desk`, { key: token })
        expect(desk.status, tenant).toBe(404)
        expect(desk.body.error.code).toBe('SB_ERR_NOT_FOUND')
      }
      expect((await admin.get('/tenants/shop/handoffs/queue', { key: token })).status).toBe(404)
    },
    TEST_TIMEOUT,
  )

  it(
    'two agents go for the same customer: one gets the conversation, the other is told who has it',
    async () => {
      const store = requireGateway().gateway.container.resolve(ApiKeyStore)
      const bobKey = (await store.create('shop', { name: 'Bob', role: 'agent', createdBy: 'test' })).key
      const customer = await newPage()
      const alice = await newPage()
      const bob = await newPage()
      // Bob's live feed is held back once he sees the customer, so his queue is stale when he clicks:
      // the moment two agents click at once, made to last.
      let holdBobsEvents = false
      await bob.page.routeWebSocket('**/console/ws', (socket) => {
        const server = socket.connectToServer()
        server.onMessage((message) => {
          if (!holdBobsEvents) socket.send(message)
        })
      })
      await signInToConsole(alice.page, keys.agent)
      await signInToConsole(bob.page, bobKey)

      await openChat(customer.page)
      await ask(customer.page, 'Can I speak to a real person please?')
      await customerSees(customer.page, /in line/)
      for (const { page } of [alice, bob]) await page.locator(tid('queue-row')).first().waitFor({ timeout: WAIT })
      holdBobsEvents = true

      await alice.page.locator(tid('queue-take')).first().click()
      await alice.page.locator(tid('handoff-state'), { hasText: 'Taken by you' }).waitFor({ timeout: WAIT })
      await bob.page.locator(tid('queue-take')).first().click()
      await expect.poll(() => bob.page.locator(tid('queue-error')).textContent(), { timeout: WAIT }).toMatch(/Someone was quicker: .*Alice/)
      await expect.poll(() => bob.page.locator(tid('queue-row')).count(), { timeout: WAIT }).toBe(0)
      expect(await bob.page.locator(tid('conversation-title')).textContent()).toBe('No conversation selected')
      expect(alice.errors).toEqual([])
      expect(bob.errors).toEqual([])
    },
    TEST_TIMEOUT,
  )

  it(
    'the console reconnects after a gateway restart and keeps following the queue',
    async () => {
      const agent = await newPage()
      await signInToConsole(agent.page, keys.agent)
      const connection = agent.page.locator(tid('connection'))
      await requireGateway().restart()
      await expect.poll(() => connection.getAttribute('data-state'), { timeout: WAIT }).not.toBe('live')
      await agent.page.locator(`${tid('connection')}[data-state="live"]`).waitFor({ timeout: 30_000 })
      expect(await agent.page.locator(tid('queue-row')).count()).toBe(0)

      const customer = await newPage()
      await openChat(customer.page)
      await ask(customer.page, 'Please put me through to a human agent')
      await customerSees(customer.page, /in line/)
      await agent.page.locator(tid('queue-row')).first().waitFor({ timeout: WAIT })
      expect(agent.errors).toEqual([])
    },
    TEST_TIMEOUT,
  )
})
