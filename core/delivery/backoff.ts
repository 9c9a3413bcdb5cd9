/** Bounds of an exponential retry delay. */
export interface BackoffPolicy {
  minDelayMs: number
  maxDelayMs: number
}

/**
 * The delay before retry number `attempt` (1 = the first): `minDelayMs` doubling up to
 * `maxDelayMs`, with ±20 % jitter so replicas that failed together do not retry together.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.min(Math.max(0, attempt - 1), 30))
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())))
}
