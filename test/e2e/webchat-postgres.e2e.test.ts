import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgres, type TestDatabase } from '../databases.js'
import { startTestGateway, type TestGateway } from '../harness/gateway.js'
import { ChatClient } from '../harness/ws-client.js'

// The production engine: the same conversation and restart, with the transcript in PostgreSQL.
describe('web chat on PostgreSQL', () => {
  let database: TestDatabase
  let gw: TestGateway

  beforeAll(async () => {
    database = await freshPostgres()
    gw = await startTestGateway({ databaseUrl: database.url })
  })
  afterAll(async () => {
    await gw?.close()
    await database?.drop()
  })

  it('holds a conversation across a gateway restart: nothing missed, nothing twice', async () => {
    const visitor = new ChatClient(gw.wsUrl())
    await visitor.connect()
    await visitor.say('How long does shipping take?')
    expect((await visitor.reply()).text).toMatch(/business days/)

    await visitor.say('Which payment methods do you accept?')
    await gw.restart()
    await visitor.connect()
    await visitor.say('I forgot my password')
    while (visitor.lastSeq < 3) await visitor.reply()
    expect(visitor.messages.map((m) => m.seq)).toEqual([1, 2, 3])
    expect(visitor.messages.map((m) => m.text)).toEqual([expect.stringMatching(/business days/), expect.stringMatching(/PayPal/), expect.stringMatching(/reset link/)])
    expect(visitor.duplicates).toEqual([])
    visitor.close()

    const ready = await (await fetch(`${gw.url}/readyz`)).json()
    expect(ready).toMatchObject({ status: 'ready', checks: { database: 'ok' } })
  })
})
