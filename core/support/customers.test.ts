import { describe, expect, it } from 'vitest'
import { engines } from '../../test/databases.js'
import { agent, deskPerTest } from '../../test/kit/support.js'
import { DEFAULT_TICKET_POLICY } from './sla.js'

describe.each(engines)('customers on %s', (_name, open) => {
  const world = deskPerTest(open)
  const alice = agent('alice', 'Alice')


  const wechat = { channel: 'wechat', instance: 'wechat-main', userId: 'o6_wx_li' }
  const web = { channel: 'websocket', instance: 'web', userId: 'visitor-7' }

  it('finds the same customer for the same channel identity, creating it once even when asked concurrently', async () => {
    const all = await Promise.all([1, 2, 3].map(() => world.desk.customers.resolve('acme', { ...web, displayName: 'Li Wei' })))
    expect(new Set(all.map((c) => c.id)).size).toBe(1)
    const again = await world.desk.customers.resolve('acme', web)
    expect(again).toMatchObject({ id: all[0]!.id, displayName: 'Li Wei', vipLevel: 0, vipSource: 'default', tags: [], satisfaction: { count: 0, average: null } })
    expect(again.identities).toEqual([expect.objectContaining({ ...web, displayName: 'Li Wei', linkedAt: expect.any(Date) })])
    const [rows] = await world.t.db.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers`)
    expect(rows!.n).toBe(1)
  })

  it('fills a missing name and language from the channel, but never overwrites what is there', async () => {
    const first = await world.desk.customers.resolve('acme', web)
    expect(first.displayName).toBeNull()
    const named = await world.desk.customers.resolve('acme', { ...web, displayName: 'Li Wei', language: 'zh-CN' })
    expect(named).toMatchObject({ displayName: 'Li Wei', language: 'zh-CN' })
    const renamed = await world.desk.customers.resolve('acme', { ...web, displayName: 'lw', language: 'en' })
    expect(renamed).toMatchObject({ displayName: 'Li Wei', language: 'zh-CN' })
    // The identity itself shows what the channel calls them now.
    expect(renamed.identities[0]!.displayName).toBe('lw')
  })

  it('the same person on WeChat and web chat becomes one customer after link', async () => {
    const onWechat = await world.desk.customers.resolve('acme', { ...wechat, displayName: '李伟', language: 'zh-CN' })
    const onWeb = await world.desk.customers.resolve('acme', web)
    await world.desk.customers.update('acme', onWechat.id, { tags: ['wholesale'] }, alice)
    await world.desk.customers.update('acme', onWeb.id, { tags: ['newsletter', 'wholesale'] }, alice)
    await world.desk.customers.setVip('acme', onWechat.id, 2, 'rule')
    const webChat = await world.desk.conversation('acme', web.userId)
    await world.desk.customers.attachConversation('acme', webChat.id, onWeb.id)
    const ticket = await world.desk.tickets.create('acme', { subject: 'Refund', priority: 'high', source: 'agent', customerId: onWeb.id, conversationId: webChat.id }, alice, DEFAULT_TICKET_POLICY.sla)
    await world.desk.customers.rate('acme', { customerId: onWeb.id, conversationId: webChat.id, score: 4 })
    await world.desk.customers.rate('acme', { customerId: onWechat.id, score: 2 })

    const merged = await world.desk.customers.link('acme', onWechat.id, onWeb.id, alice)

    expect(merged).toMatchObject({ id: onWechat.id, displayName: '李伟', language: 'zh-CN', vipLevel: 2, vipSource: 'rule', satisfaction: { count: 2, average: 3 } })
    expect(merged.tags.sort()).toEqual(['newsletter', 'wholesale'])
    expect(merged.identities.map((i) => i.channel).sort()).toEqual(['websocket', 'wechat'])
    // Writing on web chat again finds the merged customer; the old id still leads there too.
    expect((await world.desk.customers.resolve('acme', web)).id).toBe(onWechat.id)
    expect((await world.desk.customers.get('acme', onWeb.id))!.id).toBe(onWechat.id)
    expect((await world.desk.customers.forConversation('acme', webChat.id))!.id).toBe(onWechat.id)
    expect(await world.desk.customers.conversationIds('acme', onWechat.id)).toEqual([webChat.id])
    expect((await world.desk.tickets.get('acme', ticket.id))!.customerId).toBe(onWechat.id)
    expect((await world.desk.customers.search('acme', {})).map((c) => c.id)).toEqual([onWechat.id])
  })

  it('refuses to link a customer to itself or to one already merged away', async () => {
    const a = await world.desk.customers.resolve('acme', wechat)
    const b = await world.desk.customers.resolve('acme', web)
    await expect(world.desk.customers.link('acme', a.id, a.id, alice)).rejects.toMatchObject({ code: 'SB_ERR_CONFLICT', status: 409 })
    await world.desk.customers.link('acme', a.id, b.id, alice)
    await expect(world.desk.customers.link('acme', a.id, b.id, alice)).rejects.toMatchObject({ code: 'SB_ERR_CONFLICT', message: expect.stringContaining(`merged into ${a.id}`) })
    await expect(world.desk.customers.link('acme', a.id, 'cu_nobody', alice)).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
  })

  it('a merge keeps the admin’s VIP level over a higher one from a rule', async () => {
    const a = await world.desk.customers.resolve('acme', wechat)
    const b = await world.desk.customers.resolve('acme', web)
    await world.desk.customers.update('acme', a.id, { vipLevel: 1 }, alice)
    await world.desk.customers.setVip('acme', b.id, 3, 'lookup')
    expect(await world.desk.customers.link('acme', b.id, a.id, alice)).toMatchObject({ vipLevel: 1, vipSource: 'admin' })
  })

  it('a rule or a lookup never overrides the level an admin set, not even an explicit 0', async () => {
    const c = await world.desk.customers.resolve('acme', web)
    expect(await world.desk.customers.setVip('acme', c.id, 2, 'lookup')).toMatchObject({ vipLevel: 2, vipSource: 'lookup' })
    expect(await world.desk.customers.update('acme', c.id, { vipLevel: 0 }, alice)).toMatchObject({ vipLevel: 0, vipSource: 'admin' })
    expect(await world.desk.customers.setVip('acme', c.id, 3, 'rule')).toMatchObject({ vipLevel: 0, vipSource: 'admin' })
  })

  it('searches by name, identity, VIP level and tag', async () => {
    const li = await world.desk.customers.resolve('acme', { ...web, displayName: 'Li Wei' })
    const bob = await world.desk.customers.resolve('acme', { ...wechat, displayName: 'Bob 100%' })
    await world.desk.customers.update('acme', li.id, { vipLevel: 2, tags: ['wholesale'] }, alice)
    const ids = async (filter: Parameters<typeof world.desk.customers.search>[1]) => (await world.desk.customers.search('acme', filter)).map((c) => c.id)
    expect(await ids({ q: 'li w' })).toEqual([li.id])
    expect(await ids({ q: 'o6_wx_li' })).toEqual([bob.id])
    expect(await ids({ q: '100%' })).toEqual([bob.id])
    expect(await ids({ q: '%' })).toEqual([bob.id])
    expect(await ids({ vipAtLeast: 1 })).toEqual([li.id])
    expect(await ids({ tag: 'wholesale' })).toEqual([li.id])
    expect(await ids({})).toEqual([li.id, bob.id])
  })

  it('keeps tenants apart: the same identity is two customers, and one tenant cannot read or change the other’s', async () => {
    const acme = await world.desk.customers.resolve('acme', web)
    const globex = await world.desk.customers.resolve('globex', web)
    expect(globex.id).not.toBe(acme.id)
    expect(await world.desk.customers.get('globex', acme.id)).toBeUndefined()
    await expect(world.desk.customers.update('globex', acme.id, { vipLevel: 9 }, alice)).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    await expect(world.desk.customers.link('globex', globex.id, acme.id, alice)).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    const acmeChat = await world.desk.conversation('acme', 'visitor-7')
    await expect(world.desk.customers.attachConversation('globex', acmeChat.id, acme.id)).rejects.toMatchObject({ code: 'SB_ERR_NOT_FOUND' })
    expect((await world.desk.customers.get('acme', acme.id))!.vipLevel).toBe(0)
  })

  it('refuses a rating outside 1–5', async () => {
    const c = await world.desk.customers.resolve('acme', web)
    await expect(world.desk.customers.rate('acme', { customerId: c.id, score: 6 })).rejects.toMatchObject({ code: 'SB_ERR_BODY_INVALID' })
  })
})
