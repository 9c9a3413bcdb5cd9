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
  return `${prefix}${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${randomBytes(6).toString('base64url')}`
}
