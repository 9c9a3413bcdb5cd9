import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, type TestDatabase } from '../../test/databases.js'
import { textActivity } from '../../test/kit/activities.js'
import { ConversationRepository } from './conversations.js'
import { DeliveryStore } from './delivery-store.js'
import { newId } from './ids.js'
import { CustomerRepository } from '../support/customers.js'
import { HandoffRepository } from '../support/handoffs.js'
import { NoteRepository } from '../support/notes.js'
import { DEFAULT_TICKET_POLICY } from '../support/sla.js'
import { TicketRepository } from '../support/tickets.js'
import { systemClock } from '../clock.js'

const SUPPORT_TABLES = ['customers', 'customer_identities', 'customer_ratings', 'tenant_counters', 'tickets', 'ticket_events', 'ticket_conversations', 'handoffs', 'conversation_notes']
const TENANT_TABLES = ['conversations', 'messages', 'inbox', 'outbox', 'api_keys', 'audit_log', ...SUPPORT_TABLES]

/**
 * Isolation is a property of the database, not of the repositories' WHERE clauses: these tests
 * issue the SQL a buggy repository would (no tenant filter at all) and show it still cannot cross.
 */
describe.each(engines)('tenant isolation on %s', (_name, open) => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await open()
    const conversations = new ConversationRepository(t.db)
    const delivery = new DeliveryStore(t.db)
    for (const tenant of ['acme', 'globex']) {
      const c = await conversations.ensure({ tenant, channel: 'websocket', instance: 'web', externalId: `${tenant}-visitor`, userId: `${tenant}-visitor` })
      const turnId = newId('t_')
      const inbound = {
        tenant,
        instance: 'web',
        platformMsgId: `${tenant}-1`,
        conversationId: c.id,
        turnId,
        messageId: newId('m_'),
        activity: textActivity(`secret of ${tenant}`, { tenant, conversationId: c.id }),
        receivedAt: new Date(),
      }
      await delivery.accept(inbound)
      const text = `answer for ${tenant}`
      await delivery.commitTurn({ inbound, botId: 'bot', annotations: {}, outbox: true, replies: [{ id: newId('m_'), seq: 1, text, parts: [{ type: 'text', text }], createdAt: new Date() }] })
      // A second, still pending message so the inbox holds a row too.
      await delivery.accept({ ...inbound, platformMsgId: `${tenant}-2`, turnId: newId('t_'), messageId: newId('m_') })
      await t.db.withTenant(tenant, (tx) =>
        tx.query(`INSERT INTO api_keys (id, tenant_id, name, role, hash, created_by) VALUES ($1, $2, 'k', 'viewer', $3, 'test')`, [newId('k_'), tenant, newId('h_')]),
      )
      await seedSupportDesk(t, tenant, c.id)
      await t.db.withTenant(tenant, (tx) =>
        tx.query(
          `INSERT INTO audit_log (tenant_id, seq, id, at, actor_type, actor_id, action, outcome, prev_hash, hash) VALUES ($1, 1, $2, now(), 'system', 'test', 'test', 'success', '0', '1')`,
          [tenant, newId('a_')],
        ),
      )
    }
    await delivery.flush()
  })
  afterAll(() => t.drop())

  it.each(TENANT_TABLES)('an unfiltered SELECT * FROM %s issued for acme returns only acme rows', async (table) => {
    const rows = await t.db.tenant('acme').query<{ tenant_id: string }>(`SELECT * FROM ${table}`)
    expect(rows.length).toBeGreaterThan(0)
    expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set(['acme']))
    // The owner sees that globex's rows exist: the filter above came from the database.
    const all = await t.db.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = 'globex'`)
    expect(all[0]!.n).toBeGreaterThan(0)
  })

  it('does not let text search, joins or aggregates reach another tenant either', async () => {
    const found = await t.db.tenant('acme').query<{ text: string }>(`SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.text LIKE '%globex%'`)
    expect(found).toEqual([])
    const [counts] = await t.db.tenant('acme').query<{ n: number }>(`SELECT count(DISTINCT tenant_id)::int AS n FROM messages`)
    expect(counts!.n).toBe(1)
  })

  it('rejects writes of globex rows made for acme, and leaves globex rows untouched by updates and deletes', async () => {
    await expect(
      t.db.tenant('acme').query(`INSERT INTO conversations (id, tenant_id, channel, instance, external_id, user_id) VALUES ('x', 'globex', 'websocket', 'web', 'intruder', 'intruder')`),
    ).rejects.toThrow(/row-level security/)
    const updated = await t.db.tenant('acme').query(`UPDATE messages SET text = 'defaced' WHERE tenant_id = 'globex' RETURNING id`)
    const deleted = await t.db.tenant('acme').query(`DELETE FROM inbox RETURNING tenant_id`)
    expect(updated).toEqual([])
    expect(deleted.every((r) => r.tenant_id === 'acme')).toBe(true)
    // Moving an own row into another tenant is a write for that tenant too.
    await expect(t.db.tenant('acme').query(`UPDATE conversations SET tenant_id = 'globex'`)).rejects.toThrow(/row-level security/)
    const globex = await t.db.tenant('globex').query<{ text: string }>(`SELECT text FROM messages ORDER BY created_at`)
    expect(globex.map((m) => m.text)).toEqual(['secret of globex', 'answer for globex'])
  })

  it('keeps the support desk apart: unfiltered updates touch only own tickets and handoffs, and ticket history cannot be rewritten', async () => {
    const closed = await t.db.tenant('acme').query<{ tenant_id: string }>(`UPDATE tickets SET status = 'closed' RETURNING tenant_id`)
    const taken = await t.db.tenant('acme').query<{ tenant_id: string }>(`UPDATE handoffs SET state = 'assigned', agent_id = 'intruder' RETURNING tenant_id`)
    expect(closed.map((r) => r.tenant_id)).toEqual(['acme'])
    expect(taken.map((r) => r.tenant_id)).toEqual(['acme'])
    const [globex] = await t.db.tenant('globex').query<{ status: string; state: string }>(`SELECT (SELECT status FROM tickets) AS status, (SELECT state FROM handoffs) AS state`)
    expect(globex).toEqual({ status: 'open', state: 'queued' })
    // Counters are per tenant: acme's next number does not move globex's.
    const [counters] = await t.db.owner.query<{ n: number }>(`SELECT count(DISTINCT value)::int AS n FROM tenant_counters`)
    expect(counters!.n).toBe(1)
    await expect(t.db.tenant('acme').query(`UPDATE ticket_events SET note = 'rewritten'`)).rejects.toThrow(/permission denied/)
    await expect(t.db.tenant('acme').query(`DELETE FROM ticket_events`)).rejects.toThrow(/permission denied/)
  })

  it('shows nothing to the application role when no tenant is set', async () => {
    const rows = await t.db.owner.transaction(async (tx) => {
      await tx.query('SET LOCAL ROLE switchboard_app')
      return tx.query(`SELECT * FROM messages`)
    })
    expect(rows).toEqual([])
  })

  it('runs tenant work as a role that owns no table and cannot bypass row-level security', async () => {
    const [who] = await t.db.tenant('acme').query<{ user: string; bypass: boolean; owns: number }>(
      `SELECT current_user AS user, r.rolbypassrls AS bypass,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user) AS owns
       FROM pg_roles r WHERE r.rolname = current_user`,
    )
    expect(who).toEqual({ user: 'switchboard_app', bypass: false, owns: 0 })
    const forced = await t.db.owner.query<{ relname: string }>(
      `SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND relrowsecurity AND relforcerowsecurity`,
    )
    expect(forced.map((r) => r.relname).sort()).toEqual([...TENANT_TABLES].sort())
  })

  it('lets the platform role read keys and audit across tenants, and nothing else, and write nothing', async () => {
    const keys = await t.db.withPlatform((tx) => tx.query<{ tenant_id: string }>(`SELECT tenant_id FROM api_keys`))
    expect(new Set(keys.map((k) => k.tenant_id))).toEqual(new Set(['acme', 'globex']))
    await expect(t.db.withPlatform((tx) => tx.query(`SELECT * FROM messages`))).rejects.toThrow(/permission denied/)
    await expect(t.db.withPlatform((tx) => tx.query(`DELETE FROM api_keys`))).rejects.toThrow(/read-only|permission denied/)
  })

  it('refuses a tenant id that is not one before it reaches SQL', async () => {
    await expect(t.db.tenant(`acme', true); RESET ROLE; --`).query('SELECT 1')).rejects.toThrow(/not a tenant id/)
  })
})

/** A row in every support table: a customer who rated, a ticket on the conversation, a queued handoff, a note. */
async function seedSupportDesk(t: TestDatabase, tenant: string, conversationId: string): Promise<void> {
  const actor = { type: 'key' as const, id: `${tenant}-agent` }
  const customers = new CustomerRepository(t.db, systemClock)
  const customer = await customers.resolve(tenant, { channel: 'websocket', instance: 'web', userId: `${tenant}-visitor` })
  await customers.attachConversation(tenant, conversationId, customer.id)
  await customers.rate(tenant, { customerId: customer.id, conversationId, score: 5 })
  await new TicketRepository(t.db, systemClock).create(tenant, { subject: `${tenant} ticket`, priority: 'high', source: 'agent', customerId: customer.id, conversationId }, actor, DEFAULT_TICKET_POLICY.sla)
  await new HandoffRepository(t.db, systemClock).enqueue(tenant, { conversationId, customerId: customer.id, channel: 'websocket', instance: 'web', reason: 'human_agent', vipLevel: 0 }, new Date())
  await new NoteRepository(t.db, systemClock).add(tenant, conversationId, actor, `${tenant} note`)
}
