import type { RunnableConfig } from '@langchain/core/runnables'
import { MemorySaver, type BaseCheckpointSaver, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph'
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres'

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
      const saver = PostgresSaver.fromConnString(databaseUrl, { schema: 'langgraph' })
      // A failed setup must not leave its pool behind: the next start makes a new one.
      const ready = setupWithRetry(saver).catch(async (error: unknown) => {
        await saver.end().catch(() => {})
        throw error
      })
      entry = { saver, users: 0, ready, close: () => saver.end() }
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

/** Replicas starting together race on CREATE TABLE IF NOT EXISTS; the loser's second try sees the tables. */
async function setupWithRetry(saver: PostgresSaver): Promise<void> {
  try {
    await saver.setup()
  } catch {
    await new Promise((r) => setTimeout(r, 200))
    await saver.setup()
  }
}
