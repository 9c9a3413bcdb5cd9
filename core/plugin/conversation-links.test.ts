import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, type TestDatabase } from '../../test/databases.js'
import { ConversationRepository } from '../store/conversations.js'
import { ConversationLinks } from './conversation-links.js'

describe.each(engines)('conversation links on %s', (_name, open) => {
  let database: TestDatabase
  let conversations: ConversationRepository
  const owner = { tenant: 'acme', channel: 'teams', instance: 'support' }
  beforeAll(async () => {
    database = await open()
    conversations = new ConversationRepository(database.db)
  })
  afterAll(() => database.drop())

  it('gives a platform conversation one stable id, stored once', async () => {
    const links = new ConversationLinks(conversations, owner)
    const first = await links.resolve({ externalId: 'a:1', userId: '29:ann', userName: 'Ann', reference: { serviceUrl: 'https://smba.trafficmanager.net/amer/' } })
    expect(await links.resolve({ externalId: 'a:1', userId: '29:ann', reference: { serviceUrl: 'https://smba.trafficmanager.net/amer/' } })).toBe(first)
    const stored = await conversations.get('acme', first)
    expect(stored).toMatchObject({ externalId: 'a:1', userId: '29:ann', userName: 'Ann', reference: { serviceUrl: 'https://smba.trafficmanager.net/amer/' } })
  })

  it('stores a changed reference, and a restarted channel sends from what was stored', async () => {
    const links = new ConversationLinks(conversations, owner)
    const id = await links.resolve({ externalId: 'a:2', userId: '29:bob', reference: { serviceUrl: 'https://smba.trafficmanager.net/amer/' } })
    expect(await links.resolve({ externalId: 'a:2', userId: '29:bob', reference: { serviceUrl: 'https://smba.trafficmanager.net/emea/' } })).toBe(id)
    const afterRestart = new ConversationLinks(conversations, owner)
    expect(await afterRestart.target(id)).toEqual({ id, externalId: 'a:2', reference: { serviceUrl: 'https://smba.trafficmanager.net/emea/' } })
  })

  it("never hands out another channel instance's conversation", async () => {
    const telegram = new ConversationLinks(conversations, { tenant: 'acme', channel: 'telegram', instance: 'tg' })
    const id = await telegram.resolve({ externalId: '42', userId: '42' })
    expect(await new ConversationLinks(conversations, owner).target(id)).toBeUndefined()
    expect(await new ConversationLinks(conversations, { ...owner, tenant: 'globex' }).target(id)).toBeUndefined()
  })
})
