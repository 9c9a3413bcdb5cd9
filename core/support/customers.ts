import { inject, injectable } from 'tsyringe'
import type { Clock } from '../clock.js'
import { Tokens } from '../di/tokens.js'
import { sbError } from '../errors.js'
import type { Database, Sql } from '../store/database.js'
import { newId } from '../store/ids.js'
import type { CustomerStore } from './ports.js'
import { requireConversation, requireCustomer } from './references.js'
import type { Actor, Customer, CustomerIdentity, CustomerPatch, CustomerSearch, IdentityRef, VipSource } from './types.js'

interface CustomerRow extends Omit<Customer, 'identities' | 'satisfaction'> {
  identities: (Omit<CustomerIdentity, 'linkedAt'> & { linkedAt: string })[]
  ratings: number
  ratingAverage: number | null
}

const columns = `c.id, c.tenant_id AS tenant, c.display_name AS "displayName", c.vip_level AS "vipLevel", c.vip_source AS "vipSource",
  c.language, c.tags, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
  coalesce((SELECT json_agg(json_build_object('channel', i.channel, 'instance', i.instance, 'userId', i.user_id, 'displayName', i.display_name, 'linkedAt', i.linked_at)
                            ORDER BY i.linked_at, i.instance, i.user_id)
            FROM customer_identities i WHERE i.customer_id = c.id), '[]'::json) AS identities,
  (SELECT count(*)::int FROM customer_ratings r WHERE r.customer_id = c.id) AS ratings,
  (SELECT avg(r.score)::float8 FROM customer_ratings r WHERE r.customer_id = c.id) AS "ratingAverage"`

const toCustomer = ({ identities, ratings, ratingAverage, ...row }: CustomerRow): Customer => ({
  ...row,
  identities: identities.map((i) => ({ ...i, linkedAt: new Date(i.linkedAt) })),
  satisfaction: { count: ratings, average: ratingAverage },
})

/**
 * One person across channels. A customer merged into another keeps its row and points on, so ids
 * handed out before the merge (in tickets, in a console's URL) still find the person.
 */
@injectable()
export class CustomerRepository implements CustomerStore {
  constructor(
    @inject(Tokens.Database) private readonly db: Database,
    @inject(Tokens.Clock) private readonly clock: Clock,
  ) {}

  async resolve(tenant: string, identity: IdentityRef): Promise<Customer> {
    return this.db.withTenant(tenant, async (tx) => {
      const at = new Date(this.clock.now())
      let customerId = await this.identityOwner(tx, tenant, identity)
      if (!customerId) {
        const created = newId('cu_')
        await tx.query(
          `INSERT INTO customers (id, tenant_id, display_name, language, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
          [created, tenant, identity.displayName ?? null, identity.language ?? null, at],
        )
        const linked = await tx.query(
          `INSERT INTO customer_identities (tenant_id, channel, instance, user_id, customer_id, display_name, linked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING customer_id`,
          [tenant, identity.channel, identity.instance, identity.userId, created, identity.displayName ?? null, at],
        )
        if (linked.length > 0) return (await this.read(tx, tenant, created))!
        // Another replica created this person first: theirs stands, ours goes.
        await tx.query(`DELETE FROM customers WHERE tenant_id = $1 AND id = $2`, [tenant, created])
        customerId = (await this.identityOwner(tx, tenant, identity))!
      }
      if (identity.displayName !== undefined || identity.language !== undefined) await this.refresh(tx, tenant, customerId, identity, at)
      return (await this.read(tx, tenant, customerId))!
    })
  }

  get(tenant: string, id: string): Promise<Customer | undefined> {
    return this.db.withTenant(tenant, (tx) => this.read(tx, tenant, id))
  }

  async search(tenant: string, filter: CustomerSearch): Promise<Customer[]> {
    const pattern = filter.q === undefined ? null : `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    const rows = await this.db.tenant(tenant).query<CustomerRow>(
      `SELECT ${columns} FROM customers c
       WHERE c.tenant_id = $1 AND c.merged_into IS NULL
         AND ($2::text IS NULL OR c.display_name ILIKE $2 ESCAPE '\\' OR c.id = $5
              OR EXISTS (SELECT 1 FROM customer_identities i WHERE i.customer_id = c.id AND (i.user_id = $5 OR i.display_name ILIKE $2 ESCAPE '\\')))
         AND c.vip_level >= $3
         AND ($4::text IS NULL OR $4 = ANY (c.tags))
       ORDER BY c.vip_level DESC, c.updated_at DESC, c.id LIMIT $6`,
      [tenant, pattern, filter.vipAtLeast ?? 0, filter.tag ?? null, filter.q ?? null, filter.limit ?? 50],
    )
    return rows.map(toCustomer)
  }

  async update(tenant: string, id: string, patch: CustomerPatch, _actor: Actor): Promise<Customer> {
    return this.db.withTenant(tenant, async (tx) => {
      const current = await this.read(tx, tenant, id)
      if (!current) throw sbError('SB_ERR_NOT_FOUND', `no customer ${id}`)
      // An admin's level is deliberate, 0 included: rules and lookups must not raise it again.
      const vip = patch.vipLevel === undefined ? { level: current.vipLevel, source: current.vipSource } : { level: patch.vipLevel, source: 'admin' as const }
      await tx.query(
        `UPDATE customers SET display_name = $3, language = $4, tags = $5, vip_level = $6, vip_source = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2`,
        [
          tenant,
          current.id,
          patch.displayName === undefined ? current.displayName : patch.displayName,
          patch.language === undefined ? current.language : patch.language,
          patch.tags === undefined ? current.tags : [...new Set(patch.tags)],
          vip.level,
          vip.source,
          new Date(this.clock.now()),
        ],
      )
      return (await this.read(tx, tenant, current.id))!
    })
  }

  async setVip(tenant: string, id: string, level: number, source: Exclude<VipSource, 'admin' | 'default'>): Promise<Customer> {
    return this.db.withTenant(tenant, async (tx) => {
      const current = await this.read(tx, tenant, id)
      if (!current) throw sbError('SB_ERR_NOT_FOUND', `no customer ${id}`)
      await tx.query(
        `UPDATE customers SET vip_level = $3, vip_source = $4, updated_at = $5
         WHERE tenant_id = $1 AND id = $2 AND vip_source <> 'admin' AND (vip_level, vip_source) IS DISTINCT FROM ($3, $4)`,
        [tenant, current.id, level, source, new Date(this.clock.now())],
      )
      return (await this.read(tx, tenant, current.id))!
    })
  }

  async link(tenant: string, id: string, otherId: string, _actor: Actor): Promise<Customer> {
    if (id === otherId) throw sbError('SB_ERR_CONFLICT', 'a customer cannot be linked to itself', [{ path: 'body.customerId', message: 'names the same customer' }])
    return this.db.withTenant(tenant, async (tx) => {
      // Both rows locked in one order, so two opposite merges cannot deadlock.
      const locked = await tx.query<{ id: string; mergedInto: string | null }>(
        `SELECT id, merged_into AS "mergedInto" FROM customers WHERE tenant_id = $1 AND id IN ($2, $3) ORDER BY id FOR UPDATE`,
        [tenant, id, otherId],
      )
      for (const [which, path] of [[id, 'params.customer'], [otherId, 'body.customerId']] as const) {
        const row = locked.find((r) => r.id === which)
        if (!row) throw sbError('SB_ERR_NOT_FOUND', `no customer ${which}`, [{ path, message: 'no such customer' }])
        if (row.mergedInto) throw sbError('SB_ERR_CONFLICT', `customer ${which} was already merged into ${row.mergedInto}`, [{ path, message: `merged into ${row.mergedInto}` }])
      }
      const keep = (await this.read(tx, tenant, id))!
      const gone = (await this.read(tx, tenant, otherId))!
      const at = new Date(this.clock.now())
      for (const table of ['customer_identities', 'conversations', 'tickets', 'handoffs', 'customer_ratings']) {
        await tx.query(`UPDATE ${table} SET customer_id = $2 WHERE tenant_id = $1 AND customer_id = $3`, [tenant, id, otherId])
      }
      const vip = mergedVip(keep, gone)
      await tx.query(
        `UPDATE customers SET display_name = $3, language = $4, tags = $5, vip_level = $6, vip_source = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2`,
        [tenant, id, keep.displayName ?? gone.displayName, keep.language ?? gone.language, [...new Set([...keep.tags, ...gone.tags])], vip.vipLevel, vip.vipSource, at],
      )
      // Those merged into the absorbed customer earlier now point at the survivor: one hop, always.
      await tx.query(`UPDATE customers SET merged_into = $2, updated_at = $4 WHERE tenant_id = $1 AND (id = $3 OR merged_into = $3)`, [tenant, id, otherId, at])
      return (await this.read(tx, tenant, id))!
    })
  }

  async attachConversation(tenant: string, conversationId: string, customerId: string): Promise<void> {
    await this.db.withTenant(tenant, async (tx) => {
      const customer = await requireCustomer(tx, tenant, customerId)
      await tx.query(`UPDATE conversations SET customer_id = $3 WHERE tenant_id = $1 AND id = $2 AND customer_id IS NULL`, [tenant, conversationId, customer.id])
    })
  }

  async forConversation(tenant: string, conversationId: string): Promise<Customer | undefined> {
    return this.db.withTenant(tenant, async (tx) => {
      const rows = await tx.query<{ customerId: string | null }>(`SELECT customer_id AS "customerId" FROM conversations WHERE tenant_id = $1 AND id = $2`, [tenant, conversationId])
      const customerId = rows[0]?.customerId
      return customerId ? this.read(tx, tenant, customerId) : undefined
    })
  }

  async conversationIds(tenant: string, customerId: string, limit = 50): Promise<string[]> {
    const rows = await this.db.tenant(tenant).query<{ id: string }>(
      `SELECT id FROM conversations WHERE tenant_id = $1 AND customer_id = $2 ORDER BY last_activity_at DESC, id LIMIT $3`,
      [tenant, customerId, limit],
    )
    return rows.map((r) => r.id)
  }

  async rate(tenant: string, input: { customerId: string; conversationId?: string; handoffId?: string; score: number; comment?: string }): Promise<void> {
    if (!Number.isInteger(input.score) || input.score < 1 || input.score > 5) {
      throw sbError('SB_ERR_BODY_INVALID', 'a rating is a whole number from 1 to 5', [{ path: 'score', message: `got ${input.score}` }])
    }
    await this.db.withTenant(tenant, async (tx) => {
      const customer = await requireCustomer(tx, tenant, input.customerId)
      if (input.conversationId) await requireConversation(tx, tenant, input.conversationId)
      await tx.query(
        `INSERT INTO customer_ratings (id, tenant_id, customer_id, conversation_id, handoff_id, score, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [newId('cr_'), tenant, customer.id, input.conversationId ?? null, input.handoffId ?? null, input.score, input.comment ?? null, new Date(this.clock.now())],
      )
    })
  }

  /** The customer, or the one it was merged into (merges are flattened: one hop at most). */
  private async read(tx: Sql, tenant: string, id: string): Promise<Customer | undefined> {
    const [row] = await tx.query<CustomerRow>(
      `SELECT ${columns} FROM customers c WHERE c.tenant_id = $1 AND c.id = (SELECT coalesce(merged_into, id) FROM customers WHERE tenant_id = $1 AND id = $2)`,
      [tenant, id],
    )
    return row ? toCustomer(row) : undefined
  }

  private async identityOwner(tx: Sql, tenant: string, identity: IdentityRef): Promise<string | undefined> {
    const rows = await tx.query<{ customerId: string }>(
      `SELECT customer_id AS "customerId" FROM customer_identities WHERE tenant_id = $1 AND instance = $2 AND user_id = $3`,
      [tenant, identity.instance, identity.userId],
    )
    return rows[0]?.customerId
  }

  /** The channel's name and language fill gaps; they never overwrite what an admin or an earlier channel gave. */
  private async refresh(tx: Sql, tenant: string, customerId: string, identity: IdentityRef, at: Date): Promise<void> {
    await tx.query(
      `UPDATE customers SET display_name = coalesce(display_name, $3), language = coalesce(language, $4), updated_at = $5
       WHERE tenant_id = $1 AND id = $2 AND ((display_name IS NULL AND $3::text IS NOT NULL) OR (language IS NULL AND $4::text IS NOT NULL))`,
      [tenant, customerId, identity.displayName ?? null, identity.language ?? null, at],
    )
    if (identity.displayName !== undefined) {
      await tx.query(
        `UPDATE customer_identities SET display_name = $4 WHERE tenant_id = $1 AND instance = $2 AND user_id = $3 AND display_name IS DISTINCT FROM $4`,
        [tenant, identity.instance, identity.userId, identity.displayName],
      )
    }
  }
}

/** The merged VIP level: an admin's choice wins over rules and lookups; otherwise the higher level. */
function mergedVip(a: Customer, b: Customer): { vipLevel: number; vipSource: VipSource } {
  const admins = [a, b].filter((c) => c.vipSource === 'admin')
  const candidates = admins.length > 0 ? admins : [a, b]
  const best = candidates.reduce((x, y) => (y.vipLevel > x.vipLevel ? y : x))
  return { vipLevel: best.vipLevel, vipSource: best.vipSource }
}
