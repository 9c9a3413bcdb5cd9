import { resolve } from 'node:path'

/** Where a tenant's documents are when its config does not say: `<config>/knowledge/<tenant>`. */
export const knowledgeFolder = (configDir: string, tenant: string, folder?: string) => resolve(configDir, folder ?? `knowledge/${tenant}`)
