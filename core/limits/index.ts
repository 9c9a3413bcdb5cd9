export {
  TenantLimits,
  type ConsumeResult,
  type LimitName,
  type TenantLimitConfig,
  type TenantLimitsOptions,
  type TenantLimitsSnapshot,
} from './tenant-limits.js'
