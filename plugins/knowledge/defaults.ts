// Kept free of imports so the manifest (loaded for config validation) does not load LanceDB.

export const DEFAULT_CHUNK = { maxChars: 800, overlapChars: 120 } as const
export const DEFAULT_MAX_FILE_BYTES = 2_000_000
/** Below this many chunks a flat vector scan is fast enough (≈ 8 ms at 5k, 16 ms at 10k on 2 cores), and exact. */
export const DEFAULT_VECTOR_INDEX_MIN_ROWS = 5_000
/** Up to this many chunks a tenant's table is searched in memory: ≈ 1.5 MB of vectors per 1,000 chunks at 384 dims. */
export const DEFAULT_MEMORY_MAX_CHUNKS = 5_000
