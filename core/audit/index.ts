export { AuditLog } from './audit-log.js'
export { canonicalJson, entryHash, GENESIS } from './chain.js'
export type { AuditActor, AuditEntry, AuditFilter, AuditInput, AuditOutcome, AuditVerification } from './entry.js'
