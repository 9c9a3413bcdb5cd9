/**
 * IPC between the orchestrator (run.ts) and its three kinds of children. Every child exits as soon
 * as the channel closes, so a crashed or killed orchestrator never leaves servers behind.
 */

export type Target = 'echo' | 'switchboard'

/** One FAQ question the client asks and the answer the rules agent must give back. */
export interface FaqCase {
  question: string
  answer: string
}

export type ServerRequest =
  | { cmd: 'gc' }
  | { cmd: 'profile-start' }
  | { cmd: 'profile-stop'; file: string }
  /** The client's measured window opens or closes (diagnostics reset or snapshot on it). */
  | { cmd: 'window'; edge: 'start' | 'end' }
  | { cmd: 'stats' }
  | { cmd: 'stop' }

export type ServerEvent =
  | { type: 'ready'; port: number; pid: number; path: string }
  | { type: 'memory'; usage: NodeJS.MemoryUsage; gc: boolean }
  | { type: 'profile-started' }
  | { type: 'profile-stopped'; file: string }
  | { type: 'stats'; stats: unknown }
  | { type: 'fatal'; message: string }

export interface OpenRequest {
  cmd: 'open'
  url: string
  target: Target
  sockets: number
  batch: number
  timeoutMs: number
}

export interface LoadRequest {
  cmd: 'load'
  concurrency: number
  warmupSeconds: number
  seconds: number
  timeoutMs: number
  cases: FaqCase[]
}

export type ClientRequest = OpenRequest | LoadRequest | { cmd: 'close' }

export interface OpenResult {
  /** Sockets this request opened (the client keeps those of earlier requests too). */
  held: number
  failed: number
  /** Failure reason → count (e.g. `ECONNRESET`, `timeout`, `closed 1006`). */
  failures: Record<string, number>
  seconds: number
}

export interface LoadResult {
  /** Length of the measured window, by the client's clock. */
  windowSeconds: number
  /** Round trips whose reply arrived inside the measured window. */
  completed: number
  /** Sparse histogram of in-window round-trip latencies in µs (see histogram.ts). */
  histogram: { counts: [number, number][]; min: number; max: number; sum: number; total: number }
  /** Everything below covers the whole phase: warm-up, window and drain. */
  sent: number
  replies: number
  timeouts: number
  /** Replies that arrived after their round trip had timed out. */
  late: number
  /** Sockets that closed or errored while the benchmark still held them. */
  socketsLost: number
  /** Error frames (by code) and other unexpected frames (by type). */
  errorFrames: Record<string, number>
  correctness: Correctness
}

/** Per-socket accounting: every message sent must get exactly one reply (and, for the gateway, one ack). */
export interface Correctness {
  socketsUsed: number
  missingReplies: number
  duplicateReplies: number
  wrongReplies: number
  /** Bot messages whose seq was not exactly the previous seq + 1 on that conversation. */
  seqRepeats: number
  seqGaps: number
  acks: number
  missingAcks: number
  duplicateAcks: number
  /** Acks that said `duplicate: true` although every client_id was sent once. */
  acksFlaggedDuplicate: number
}

export type ClientEvent =
  | { type: 'ready'; pid: number }
  | { type: 'opened'; result: OpenResult }
  | { type: 'window'; edge: 'start' | 'end' }
  | { type: 'loaded'; result: LoadResult }
  | { type: 'closed' }
  | { type: 'fatal'; message: string }
