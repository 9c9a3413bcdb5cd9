import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { sbError } from '../errors.js'

/** The lock file inside the data folder; its content is what `parseLock` reads. */
export const PGLITE_LOCK_FILE = 'switchboard.pid'

interface LockContent {
  pid: number
  /** When the holding process started (ISO 8601), for whoever reads the file. */
  startedAt: string
  /** Tells this holder's file from a successor's when releasing. */
  token: string
  /**
   * Linux: the boot and the process start in clock ticks since that boot, which tell a reused pid
   * from the holder exactly (wall-clock times could be stepped in between).
   */
  bootId?: string
  startTicks?: number
}

// A file without valid content this young may still be being written (the fallback path without link()).
const UNREADABLE_GRACE_MS = 5_000
// The tokens of the locks this process holds or is acquiring; shared by every module instance in
// the process (test runners load modules more than once), because the pid is the process's.
const HELD: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('switchboard.pgliteLocks')] ??= new Set<string>()) as Set<string>

/**
 * PGlite is one process's database: two processes opening the same folder corrupt it. Whoever
 * opens it first writes `<dataDir>/switchboard.pid` (its pid and start time); a second process is
 * refused while that pid is alive, and takes over a file left behind by one that died. Resolves
 * to the release function, which removes the file only if it is still this holder's.
 */
export async function acquirePgliteLock(dataDir: string): Promise<() => Promise<void>> {
  const dir = resolve(dataDir)
  const path = join(dir, PGLITE_LOCK_FILE)
  await mkdir(dir, { recursive: true })
  const mine: LockContent = {
    pid: process.pid,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    token: randomBytes(12).toString('hex'),
    ...processIdentity(process.pid),
  }
  const text = `${JSON.stringify(mine)}\n`

  HELD.add(mine.token)
  try {
    for (let attempt = 0; ; attempt++) {
      if (await create(path, text)) break
      const seen = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)))
      if (seen === undefined) continue // released between our attempt and the read
      const holder = parseLock(seen)
      if (holder && isAlive(holder)) throw inUse(dir, holder.pid)
      if (!holder && (await ageOf(path)) < UNREADABLE_GRACE_MS) throw inUse(dir, undefined)
      if (attempt >= 5) throw sbError('SB_ERR_STORE_UNAVAILABLE', `cannot take over the stale lock file ${path}; remove it if no gateway uses ${dir}`)
      await takeOver(path, seen)
    }
  } catch (error) {
    HELD.delete(mine.token)
    throw error
  }

  let released = false
  return async () => {
    if (released) return
    released = true
    HELD.delete(mine.token)
    try {
      if ((await readFile(path, 'utf8')) === text) await unlink(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}

/** Creates the lock file with its whole content at once, or reports that one exists. */
async function create(path: string, text: string): Promise<boolean> {
  // Written aside and linked into place: nobody ever reads a half-written lock file.
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(temp, text, { flag: 'wx' })
  try {
    await link(temp, path)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    // A file system without hard links: exclusive create (the brief gap is covered by UNREADABLE_GRACE_MS).
    try {
      await writeFile(path, text, { flag: 'wx' })
      return true
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw fallback
    }
  } finally {
    await unlink(temp).catch(() => {})
  }
}

/**
 * Moves a stale file aside. Two processes may find the same stale file; the one that moved a
 * fresh lock instead (its content is not the stale one it read) puts it back and tries again.
 */
async function takeOver(path: string, stale: string): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.stale`
  try {
    await rename(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  try {
    if ((await readFile(aside, 'utf8')) !== stale) await link(aside, path).catch(() => {})
  } finally {
    await unlink(aside).catch(() => {})
  }
}

async function ageOf(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs
  } catch {
    return Infinity
  }
}

function parseLock(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent>
    if (Number.isSafeInteger(value.pid) && value.pid! > 0 && typeof value.token === 'string') return value as LockContent
  } catch {
    // not ours, or damaged: treated as unreadable
  }
  return undefined
}

function isAlive(holder: LockContent): boolean {
  // Our own pid: held by this process only if we hold (or are taking) it; otherwise a previous
  // process had the same pid (a restarted container, where the gateway is pid 1 every time).
  if (holder.pid === process.pid) return HELD.has(holder.token)
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  // A live process with the holder's pid that is not the holder: the pid was reused since it died.
  const now = processIdentity(holder.pid)
  if (holder.bootId && now.bootId && holder.bootId !== now.bootId) return false
  if (holder.startTicks !== undefined && now.startTicks !== undefined && holder.startTicks !== now.startTicks) return false
  return true
}

/** Where the system says so (Linux /proc): the current boot and when `pid` started in it. */
function processIdentity(pid: number): Pick<LockContent, 'bootId' | 'startTicks'> {
  const identity: Pick<LockContent, 'bootId' | 'startTicks'> = {}
  try {
    identity.bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    // not Linux
  }
  try {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime), counted after the command name, which is parenthesised and may hold spaces.
    const ticks = Number(line.slice(line.lastIndexOf(')') + 2).split(' ')[19])
    if (Number.isSafeInteger(ticks)) identity.startTicks = ticks
  } catch {
    // not Linux, or the process is gone
  }
  return identity
}

const inUse = (dir: string, pid: number | undefined) =>
  sbError(
    'SB_ERR_STORE_UNAVAILABLE',
    `the embedded database in ${dir} is in use by process ${pid ?? '(unknown)'} (a running gateway); stop it, or use the admin API /admin/v1 while it runs`,
  )
