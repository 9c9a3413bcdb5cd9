export { closeRedis, openRedis, waitForRedis, type OpenRedisOptions, type RedisLog } from './client.js'
export { assertTenantId, isTenantId, tenantKey, tenantKeyPrefix, tenantQueueName } from './keyspace.js'
