import { randomBytes } from 'node:crypto'

let lastTime = 0
let counter = 0

/**
 * Time-ordered unique ids (like ULIDs): sorting by id sorts by creation, which is the order the
 * inbox replays pending turns in after a restart.
 */
export function newId(prefix = ''): string {
  const now = Date.now()
  if (now === lastTime) counter++
  else {
    lastTime = now
    counter = 0
  }
  return `${prefix}${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${randomSuffix()}`
}

// Three ids per message: drawing random bytes from a pool is ~25× cheaper than one syscall-backed call each.
const POOL_SIZE = 6 * 1024
let pool = randomBytes(POOL_SIZE)
let offset = 0

function randomSuffix(): string {
  if (offset + 6 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE)
    offset = 0
  }
  offset += 6
  return pool.toString('base64url', offset - 6, offset)
}
