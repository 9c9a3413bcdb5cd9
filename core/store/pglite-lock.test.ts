import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isSwitchboardError } from '../errors.js'
import { acquirePgliteLock, PGLITE_LOCK_FILE } from './pglite-lock.js'

let dir: string
let lockFile: string
const releases: Array<() => Promise<void>> = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-lock-'))
  lockFile = join(dir, PGLITE_LOCK_FILE)
})
afterEach(async () => {
  for (const release of releases.splice(0)) await release()
  await rm(dir, { recursive: true, force: true })
})

const acquire = async (folder = dir) => {
  const release = await acquirePgliteLock(folder)
  releases.push(release)
  return release
}
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the lock to be refused')
    },
    (error: unknown) => error,
  )
const held = () => JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; startedAt: string; token: string; startTicks?: number }
// Above any pid_max, so no process has it.
const DEAD_PID = 2 ** 31 - 2
const foreign = (pid: number, extra: Record<string, unknown> = {}) => `${JSON.stringify({ pid, startedAt: new Date(0).toISOString(), token: 'someone-else', ...extra })}\n`

describe('acquirePgliteLock', () => {
  it('writes the pid and start time, creating the folder, and removes the file on release', async () => {
    const folder = join(dir, 'not', 'yet')
    const release = await acquire(folder)
    const content = JSON.parse(await readFile(join(folder, PGLITE_LOCK_FILE), 'utf8'))
    expect(content).toMatchObject({ pid: process.pid, startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
    expect(Date.parse(content.startedAt)).toBeLessThanOrEqual(Date.now())
    await release()
    expect(existsSync(join(folder, PGLITE_LOCK_FILE))).toBe(false)
    await release() // twice is harmless
    expect(await readdir(folder)).toEqual([])
  })

  it('refuses a second holder while the first lives, naming the folder, the process and the way out', async () => {
    const release = await acquire()
    const error = await refusal(acquirePgliteLock(dir))
    expect(isSwitchboardError(error) && error.code).toBe('SB_ERR_STORE_UNAVAILABLE')
    expect((error as Error).message).toBe(
      `the embedded database in ${dir} is in use by process ${process.pid} (a running gateway); stop it, or use the admin API /admin/v1 while it runs`,
    )
    expect(held().pid).toBe(process.pid)
    await release()
    await acquire()
  })

  it('lets exactly one of several concurrent contenders in', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => acquirePgliteLock(dir)))
    const winners = outcomes.filter((o) => o.status === 'fulfilled')
    expect(winners).toHaveLength(1)
    releases.push((winners[0] as PromiseFulfilledResult<() => Promise<void>>).value)
  })

  it('refuses while another live process holds it', async () => {
    await writeFile(lockFile, foreign(process.ppid))
    expect(((await refusal(acquirePgliteLock(dir))) as Error).message).toContain(`in use by process ${process.ppid} (a running gateway)`)
    expect(held().token).toBe('someone-else')
  })

  it('takes over the file of a process that died', async () => {
    await writeFile(lockFile, foreign(DEAD_PID))
    const release = await acquire()
    expect(held().pid).toBe(process.pid)
    await release()
    expect(existsSync(lockFile)).toBe(false)
  })

  it('takes over a file with its own pid that this process does not hold (a restarted container)', async () => {
    await writeFile(lockFile, foreign(process.pid))
    await acquire()
    expect(held().token).not.toBe('someone-else')
  })

  it.runIf(existsSync('/proc/self/stat'))('takes over when a live process has the pid but started at another time (pid reused)', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
    try {
      await new Promise((resolve) => child.once('spawn', resolve))
      await writeFile(lockFile, foreign(child.pid!, { startTicks: 1 }))
      await acquire()
      expect(held().pid).toBe(process.pid)
    } finally {
      child.kill()
    }
  })

  it('treats an unreadable file as being written while young, and as stale once old', async () => {
    await writeFile(lockFile, '')
    expect(((await refusal(acquirePgliteLock(dir))) as Error).message).toContain('in use by process (unknown)')
    const old = new Date(Date.now() - 60_000)
    await utimes(lockFile, old, old)
    await acquire()
    expect(held().pid).toBe(process.pid)
  })

  it('leaves a successor’s file alone on release, and leaves no temporary files behind', async () => {
    const release = await acquire()
    await writeFile(lockFile, foreign(DEAD_PID))
    await release()
    expect(held().token).toBe('someone-else')
    expect(await readdir(dir)).toEqual([PGLITE_LOCK_FILE])
  })
})
