import { sbError } from '../errors.js'
import type { Sql } from '../store/database.js'

/**
 * Foreign keys are checked past row-level security, so a row of tenant A could name tenant B's
 * conversation and the database would accept it. Every id that comes from outside is looked up
 * under the tenant's own scope first: another tenant's id is simply not found.
 */
export async function requireConversation(tx: Sql, tenant: string, conversationId: string, path = 'conversationId'): Promise<void> {
  const rows = await tx.query(`SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2`, [tenant, conversationId])
  if (rows.length === 0) throw sbError('SB_ERR_NOT_FOUND', `no conversation ${conversationId}`, [{ path, message: 'no such conversation' }])
}

export async function requireCustomer(tx: Sql, tenant: string, customerId: string, path = 'customerId'): Promise<{ vipLevel: number; id: string }> {
  // Merges are flattened (see CustomerRepository.link), so a merged customer is one hop from its survivor.
  const [row] = await tx.query<{ id: string; vipLevel: number }>(
    `SELECT s.id, s.vip_level AS "vipLevel" FROM customers c JOIN customers s ON s.id = coalesce(c.merged_into, c.id) WHERE c.tenant_id = $1 AND c.id = $2`,
    [tenant, customerId],
  )
  if (!row) throw sbError('SB_ERR_NOT_FOUND', `no customer ${customerId}`, [{ path, message: 'no such customer' }])
  return row
}
