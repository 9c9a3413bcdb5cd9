import type { RunnableConfig } from '@langchain/core/runnables'
import { MemorySaver, type BaseCheckpointSaver, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph'
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres'
import pg from 'pg'

/**
 * MemorySaver keeps every thread forever; a gateway runs for months. This one forgets the
 * least recently used conversations beyond a bound (their next turn starts without history).
 */
export class BoundedMemorySaver extends MemorySaver {
  readonly #recent = new Map<string, true>()

  constructor(
    readonly maxThreads: number,
    /** Checkpoints kept per conversation: the committed one a turn starts from, and the newest. */
    readonly keepPerThread = 3,
  ) {
    super()
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    const thread = config.configurable?.thread_id as string | undefined
    const saved = await super.put(config, checkpoint, metadata)
    if (thread !== undefined) {
      this.#prune(thread, (config.configurable?.checkpoint_ns as string | undefined) ?? '')
      this.#recent.delete(thread)
      this.#recent.set(thread, true)
      while (this.#recent.size > this.maxThreads) {
        const oldest = this.#recent.keys().next().value as string
        this.#recent.delete(oldest)
        await this.deleteThread(oldest)
      }
    }
    return saved
  }

  get threads(): number {
    return this.#recent.size
  }

  /** Every turn adds a checkpoint; only the last few can ever be resumed from. */
  #prune(thread: string, namespace: string): void {
    const checkpoints = this.storage[thread]?.[namespace]
    if (!checkpoints) return
    // Checkpoint ids are time-ordered (uuid6), so a sort is age order.
    const ids = Object.keys(checkpoints).sort()
    for (const id of ids.slice(0, Math.max(0, ids.length - this.keepPerThread))) {
      delete checkpoints[id]
      delete this.writes[JSON.stringify([thread, namespace, id])]
    }
  }
}

interface Shared {
  saver: BaseCheckpointSaver
  users: number
  ready: Promise<void>
  close(): Promise<void>
}

const shared = new Map<string, Shared>()
const MEMORY_THREADS = 50_000

/**
 * One checkpointer per process and database, shared by every tenant's agent (threads are keyed
 * `<tenant>:<conversation>`): a pool per tenant would exhaust PostgreSQL connections. PostgreSQL
 * when the gateway has a database URL, a bounded in-memory saver otherwise.
 */
export async function acquireCheckpointer(databaseUrl: string | undefined): Promise<{ saver: BaseCheckpointSaver; release(): Promise<void> }> {
  const key = databaseUrl ?? 'memory'
  let entry = shared.get(key)
  if (!entry) {
    if (databaseUrl) {
      const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 })
      const saver = new PostgresSaver(pool, undefined, { schema: SCHEMA })
      // Every turn adds a checkpoint; old ones are pruned in the background, a few kept per conversation.
      const pruning = setInterval(() => void pruneCheckpoints(pool).catch(() => {}), PRUNE_EVERY_MS)
      pruning.unref()
      const close = async () => {
        clearInterval(pruning)
        await saver.end()
      }
      // A failed setup must not leave its pool behind: the next start makes a new one.
      const ready = setupWithRetry(saver).catch(async (error: unknown) => {
        await close().catch(() => {})
        throw error
      })
      entry = { saver, users: 0, ready, close }
    } else {
      entry = { saver: new BoundedMemorySaver(MEMORY_THREADS), users: 0, ready: Promise.resolve(), close: async () => {} }
    }
    shared.set(key, entry)
  }
  entry.users++
  const mine = entry
  try {
    await mine.ready
  } catch (error) {
    mine.users--
    if (shared.get(key) === mine) shared.delete(key)
    throw error
  }
  let released = false
  return {
    saver: mine.saver,
    async release() {
      if (released) return
      released = true
      if (--mine.users > 0) return
      if (shared.get(key) === mine) shared.delete(key)
      await mine.close()
    },
  }
}

const SCHEMA = 'langgraph'
const PRUNE_EVERY_MS = 10 * 60_000
/** The committed checkpoint a turn starts from is always among a conversation's newest few. */
const KEEP_PER_THREAD = 3

/**
 * Deletes all but the newest checkpoints of every conversation, with their pending writes and the
 * channel blobs no kept checkpoint refers to. Checkpoints written while it runs are not visible
 * to it, and refer only to new blobs or their kept parent's: nothing live is deleted.
 */
export async function pruneCheckpoints(pool: pg.Pool, keep = KEEP_PER_THREAD): Promise<number> {
  const result = await pool.query(
    `WITH ranked AS (
       SELECT thread_id, checkpoint_ns, checkpoint_id,
              row_number() OVER (PARTITION BY thread_id, checkpoint_ns ORDER BY checkpoint_id DESC) AS n
       FROM ${SCHEMA}.checkpoints),
     old AS (
       DELETE FROM ${SCHEMA}.checkpoints c USING ranked r
       WHERE r.n > $1 AND c.thread_id = r.thread_id AND c.checkpoint_ns = r.checkpoint_ns AND c.checkpoint_id = r.checkpoint_id
       RETURNING c.thread_id, c.checkpoint_ns, c.checkpoint_id),
     writes AS (
       DELETE FROM ${SCHEMA}.checkpoint_writes w USING old o
       WHERE w.thread_id = o.thread_id AND w.checkpoint_ns = o.checkpoint_ns AND w.checkpoint_id = o.checkpoint_id),
     blobs AS (
       DELETE FROM ${SCHEMA}.checkpoint_blobs b
       WHERE b.thread_id IN (SELECT thread_id FROM old)
         AND NOT EXISTS (
           SELECT 1 FROM ${SCHEMA}.checkpoints c JOIN ranked r USING (thread_id, checkpoint_ns, checkpoint_id)
           WHERE r.n <= $1 AND c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
             AND c.checkpoint->'channel_versions'->>b.channel = b.version))
     SELECT count(*)::int AS pruned FROM old`,
    [keep],
  )
  return (result.rows[0] as { pruned: number }).pruned
}

/** Replicas starting together race on CREATE TABLE IF NOT EXISTS; the loser's second try sees the tables. */
async function setupWithRetry(saver: PostgresSaver): Promise<void> {
  try {
    await saver.setup()
  } catch {
    await new Promise((r) => setTimeout(r, 200))
    await saver.setup()
  }
}
