import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { stringify } from 'yaml'
import { metricValue, waitUntil } from '../../../test/contract/wait.js'
import { freshPostgres, type TestDatabase } from '../../../test/databases.js'
import { startTestGateway, type TestGateway } from '../../../test/harness/gateway.js'
import { tempConfig } from '../../../test/kit/tenants.js'
import { PuppetProvider, type Puppet } from './puppet.js'

// A gateway on 127.0.0.1 whose wechaty channels get wechaty-puppet-mock puppets: each Mocker plays
// WeChat for one channel instance — its contacts and rooms say things to the bot's account, and
// what the bot says back is what the mock records.
let gw: TestGateway
let database: TestDatabase
let config: Awaited<ReturnType<typeof tempConfig>>
const mockers = new Map<string, mock.Mocker>()

const echo = { id: 'echo', pattern: '^([\\s\\S]*)$', reply: 'echo: $1' }
const rules = [
  { id: 'menu', pattern: '^menu$', reply: { text: 'How can we help?', options: [{ title: 'Track my order', value: 'track' }, { title: 'Return an item', value: 'return' }] } },
  { id: 'track', pattern: '^track$', reply: 'Your order A-1009 is on its way.' },
  echo,
]
const tenant = (id: string, channels: unknown[]) => stringify({ id, channels, plugins: [{ id: 'rules', type: 'rules', config: { rules } }] })
const wechaty = (extra: Record<string, unknown> = {}) => ({ id: 'wx', type: 'wechat', config: { transport: 'wechaty', puppet: 'wechaty-puppet-mock', ...extra } })

/** Starts (or restarts) a tenant and returns the Mocker its channel's new puppet is bound to. */
async function startTenant(id: string, channels: unknown[]): Promise<mock.Mocker> {
  mockers.delete(`${id}/wx`)
  await config.write(id, tenant(id, channels))
  const outcome = await gw.gateway.tenants.reload(id)
  expect(outcome.problems).toEqual([])
  return mockers.get(`${id}/wx`)!
}

beforeAll(async () => {
  // Tenants with wechaty channels are added once the provider is registered; a gateway needs one to start.
  config = await tempConfig({ pop: tenant('pop', []) })
  database = await freshPostgres()
  gw = await startTestGateway({ configDir: config.dir, databaseUrl: database.url! })
  const provider: PuppetProvider = ({ tenant, instance }) => {
    const mocker = new mock.Mocker()
    mockers.set(`${tenant}/${instance}`, mocker)
    return new PuppetMock({ mocker }) as unknown as Puppet
  }
  gw.gateway.container.register(PuppetProvider, { useValue: provider })
}, 60_000)

afterAll(async () => {
  await gw?.close()
  await database?.drop()
  await config?.remove()
})

/** What the bot's account said to a contact, or in a room, in order. */
const saidTo = (mocker: mock.Mocker, account: mock.ContactMock, chat: mock.ContactMock | mock.RoomMock) =>
  [...mocker.cacheMessagePayload.values()]
    .filter((m) => m.talkerId === account.id && ('roomId' in m && m.roomId ? m.roomId === chat.id : m.listenerId === chat.id))
    .map((m) => m.text)
const repliesTo = (mocker: mock.Mocker, account: mock.ContactMock, chat: mock.ContactMock | mock.RoomMock, count = 1) =>
  waitUntil(() => saidTo(mocker, account, chat).length >= count && saidTo(mocker, account, chat), () => `${count} replies in ${chat.id}, got ${JSON.stringify(saidTo(mocker, account, chat))}`)
const metrics = async () => (await fetch(`${gw.url}/metrics`)).text()

describe('a WeChat account on the gateway through a wechaty puppet', () => {
  let wx: mock.Mocker
  let shop: mock.ContactMock
  let mary: mock.ContactMock
  let li: mock.ContactMock

  beforeAll(async () => {
    wx = await startTenant('shop', [wechaty()])
    ;[shop, mary, li] = wx.createContacts(3) as [mock.ContactMock, mock.ContactMock, mock.ContactMock]
    wx.login(shop)
    await waitUntil(async () => (await gw.gateway.tenant('shop')!.channelStatus())[0]?.probe?.ok, 'the account to log in')
  }, 30_000)

  it('answers a customer who says hello', async () => {
    mary.say('hello').to(shop)
    expect(await repliesTo(wx, shop, mary)).toEqual(['echo: hello'])
  })

  it('in a group chat, answers only when the bot is @-mentioned, without the mention', async () => {
    const room = wx.createRoom({ memberIdList: [shop.id, mary.id, li.id], topic: 'Order A-1009' })
    li.say('lunch anyone?').to(room)
    mary.say(`@${shop.payload.name} where is my order?`, [shop]).to(room)
    expect(await repliesTo(wx, shop, room)).toEqual(['echo: where is my order?'])
    li.say(`@${shop.payload.name} thanks`, [shop]).to(room)
    expect(await repliesTo(wx, shop, room, 2)).toEqual(['echo: where is my order?', 'echo: thanks'])
  })

  it('answers a message the puppet emits twice only once', async () => {
    const before = metricValue(await metrics(), 'switchboard_inbox_duplicates_total', { tenant: 'shop' })
    const customer = wx.createContact()
    customer.say('just once').to(shop)
    const sent = [...wx.cacheMessagePayload.values()].find((m) => m.talkerId === customer.id && m.text === 'just once')!
    wx.puppet.emit('message', { messageId: sent.id })
    // A later message of the same chat is taken after the duplicate, so its answer means the duplicate was dealt with.
    customer.say('and this').to(shop)
    expect(await repliesTo(wx, shop, customer, 2)).toEqual(['echo: just once', 'echo: and this'])
    expect(metricValue(await metrics(), 'switchboard_inbox_duplicates_total', { tenant: 'shop' }) - before).toBe(1)
  })

  it('shows a choice as a numbered list, and takes the number as the answer', async () => {
    const customer = wx.createContact()
    customer.say('menu').to(shop)
    expect(await repliesTo(wx, shop, customer)).toEqual(['How can we help?\n1. Track my order\n2. Return an item'])
    customer.say('1').to(shop)
    expect(await repliesTo(wx, shop, customer, 2)).toEqual(['How can we help?\n1. Track my order\n2. Return an item', 'Your order A-1009 is on its way.'])
  })
})

describe('a WeChat account that logs out', () => {
  it('reports itself down, holds replies back, and sends them once the account is back', async () => {
    // A slow per-chat pace, so the second reply is still waiting when the phone ends the session.
    const wx = await startTenant('desk', [wechaty({ limits: { chat: { points: 1, seconds: 3 } } })])
    const [desk, customer] = wx.createContacts(2) as [mock.ContactMock, mock.ContactMock]
    wx.login(desk)
    const status = async () => (await gw.gateway.tenant('desk')!.channelStatus())[0]?.probe
    const count = async (name: string, labels: Record<string, string>) => metricValue(await metrics(), name, { tenant: 'desk', ...labels })
    await waitUntil(async () => (await status())?.ok, 'the account to log in')
    expect(await status()).toEqual({ ok: true, detail: expect.stringMatching(/^wechaty-puppet-mock: logged in as .+; last sign of life \d+ s ago$/) })

    customer.say('one').to(desk)
    customer.say('two').to(desk)
    await waitUntil(async () => (await count('switchboard_channel_throttled_total', { source: 'governor' })) > 0 || undefined, 'the second reply to be held back')
    await wx.puppet.logout('kicked out by the phone')
    expect(await status()).toEqual({ ok: false, detail: 'wechaty-puppet-mock: logged out: kicked out by the phone' })
    // Once by the governor, then because nobody is logged in.
    await waitUntil(async () => (await count('switchboard_messages_total', { direction: 'out', outcome: 'retry' })) >= 2 || undefined, 'a send refused while logged out')
    expect(saidTo(wx, desk, customer)).toEqual(['echo: one'])

    wx.login(desk)
    expect(await repliesTo(wx, desk, customer, 2)).toEqual(['echo: one', 'echo: two'])
    expect((await status())?.ok).toBe(true)
  })
})

describe('starting and stopping wechaty channels', () => {
  it('refuses a tenant whose puppet package is not installed, naming the file and path', async () => {
    await config.write('broken', tenant('broken', [wechaty({ puppet: 'wechaty-puppet-padlocal' })]))
    const outcome = await gw.gateway.tenants.reload('broken')
    expect(outcome).toMatchObject({ outcome: 'invalid' })
    expect(outcome.problems).toEqual([
      {
        file: 'tenants/broken.yaml',
        path: 'channels[0].config.puppet',
        message: 'puppet package "wechaty-puppet-padlocal" is not installed; the gateway never downloads one: run npm install wechaty-puppet-padlocal where it runs',
      },
    ])
    expect(gw.gateway.tenant('broken')).toBeUndefined()
  })

  it('stopped, leaves no timers behind', async () => {
    await startTenant('pop', [])
    const baseline = timers()
    const wx = await startTenant('pop', [wechaty()])
    const [account, customer] = wx.createContacts(2) as [mock.ContactMock, mock.ContactMock]
    wx.login(account)
    customer.say('hello').to(account)
    expect(await repliesTo(wx, account, customer)).toEqual(['echo: hello'])
    await startTenant('pop', [])
    await waitUntil(() => timers() <= baseline || undefined, () => `timers back to ${baseline}, now ${timers()}`)
    expect(wx.puppet.state.inactive()).toBe(true)
  })
})

/** Timers keeping this process alive (wechaty keeps one while a bot runs). */
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
