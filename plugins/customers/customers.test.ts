import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Tokens } from '../../core/di/tokens.js'
import type { NamedHooks } from '../../core/pipeline/pipeline.js'
import type { VipLookup } from '../../core/support/ports.js'
import { engines, type TestDatabase } from '../../test/databases.js'
import { deskWorld, type DeskWorld } from '../../test/kit/support-desk.js'
import customers from './index.js'

const bot: NamedHooks = { id: 'bot', respond: async (turn) => ({ parts: [{ type: 'text', text: `hi ${turn.state.customer?.vipLevel ?? '?'}` }] }) }
const config = { vip: { rules: [{ level: 1, when: { instance: 'tg' } }, { level: 3, when: { userIds: ['tg-boss'] } }], labels: { '3': 'Platinum' } }, lookup: { timeoutMs: 50 } }

describe.each(engines)('who is writing, on %s', (_name, open) => {
  let t: TestDatabase
  let world: DeskWorld
  beforeEach(async () => {
    t = await open()
  })
  afterEach(async () => {
    await world?.close()
    await t.drop()
  })

  it('finds or creates the customer, ties the conversation to them, and gives them their VIP level by rule', async () => {
    const w = (world = await deskWorld(t, [{ plugin: customers, config }], bot))
    const chat = await w.conversation('tg-boss')
    const said = await w.say(chat, 'hello')
    expect(said.texts).toEqual(['hi 3'])
    expect(said.turn.annotations.customer).toEqual({ id: expect.stringMatching(/^cu_/), vipLevel: 3, vipLabel: 'Platinum' })
    const store = w.root.resolve(Tokens.Customers)
    expect(await store.forConversation(w.tenant, chat)).toMatchObject({ vipLevel: 3, vipSource: 'rule', identities: [expect.objectContaining({ userId: 'tg-boss' })] })
    await w.say(chat, 'again')
    expect(await store.search(w.tenant, {})).toHaveLength(1)
  })

  it('never overrides a level an admin set', async () => {
    const w = (world = await deskWorld(t, [{ plugin: customers, config }], bot))
    const store = w.root.resolve(Tokens.Customers)
    const known = await store.resolve(w.tenant, { channel: 'telegram', instance: 'tg', userId: 'tg-boss' })
    await store.update(w.tenant, known.id, { vipLevel: 0 }, { type: 'user', id: 'admin' })
    expect((await w.say(await w.conversation('tg-boss'), 'hello')).texts).toEqual(['hi 0'])
  })

  it('sees a level an admin just set on the very next message, not after the cache expires', async () => {
    const w = (world = await deskWorld(t, [{ plugin: customers, config }], bot))
    const chat = await w.conversation('web-visitor', 'websocket', 'web')
    const web = { channel: 'websocket', instance: 'web' }
    expect((await w.say(chat, 'hello', web)).texts).toEqual(['hi 0'])
    const store = w.root.resolve(Tokens.Customers)
    const customer = await store.update(w.tenant, (await store.forConversation(w.tenant, chat))!.id, { vipLevel: 2 }, { type: 'user', id: 'admin' })
    w.root.resolve(Tokens.SupportEvents).publish(w.tenant, { type: 'customer', customer })
    expect((await w.say(chat, 'and now?', web)).texts).toEqual(['hi 2'])
  })

  it('asks the tenant’s lookup hook, and answers without it when it is slow or fails', async () => {
    let lookup: VipLookup = async () => 7
    const w = (world = await deskWorld(t, [{ plugin: customers, config }], bot))
    w.root.register(Tokens.VipLookup, { useValue: (customer: Parameters<VipLookup>[0]) => lookup(customer) })
    expect((await w.say(await w.conversation('tg-crm'), 'hello')).texts).toEqual(['hi 7'])
    lookup = () => new Promise(() => {})
    expect((await w.say(await w.conversation('tg-slow'), 'hello')).texts).toEqual(['hi 1'])
    lookup = async () => {
      throw new Error('CRM down')
    }
    expect((await w.say(await w.conversation('tg-down'), 'hello')).texts).toEqual(['hi 1'])
  })
})
