import { Redis } from 'ioredis'

/** The slice of a pino logger this module uses, so tests can pass a stub. */
export interface RedisLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface OpenRedisOptions {
  log?: RedisLog
  /** Milliseconds a single command may take before it fails; callers then fall back. */
  commandTimeoutMs?: number
}

/**
 * Connects to Redis for state that is shared between replicas but never worth an outage: every
 * user of this client has a local fallback, so the options favour failing fast over waiting.
 */
export function openRedis(url: string, options: OpenRedisOptions = {}): Redis {
  const log = options.log
  const redis = new Redis(url, {
    lazyConnect: false,
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    // Without a connection a command errors at once instead of queueing: a queue would hold every
    // inbound message for as long as Redis is down instead of letting its fallback answer.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Keep reconnecting for as long as the process lives, so a restarted Redis is picked up again.
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  })

  // ioredis emits 'error' on every failed reconnect; log the transitions, not each attempt.
  let down = false
  redis.on('error', (error: Error) => {
    if (down) return
    down = true
    // The URL is not logged: it may carry a password.
    log?.warn({ err: { message: error.message, code: (error as { code?: unknown }).code } }, 'redis unavailable')
  })
  redis.on('ready', () => {
    if (down) log?.info({}, 'redis available again')
    down = false
  })
  return redis
}

/** Resolves once the client can take commands; rejects after `timeoutMs` (startup checks, tests). */
export async function waitForRedis(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady)
      reject(new Error(`redis not ready after ${timeoutMs} ms (status ${redis.status})`))
    }, timeoutMs)
    const onReady = (): void => {
      clearTimeout(timer)
      resolve()
    }
    redis.once('ready', onReady)
  })
}

/** Quits cleanly when connected; otherwise stops reconnecting, since QUIT cannot be sent. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return
  if (redis.status === 'ready') {
    try {
      await redis.quit()
      return
    } catch {
      // The connection died between the check and QUIT: disconnecting below is all that is left.
    }
  }
  redis.disconnect(false)
}
