import { availableParallelism } from 'node:os'

// Lance sizes its CPU pool as cores − 2 (at least 1). With one thread, building a full-text index
// whose posting lists span more than one batch deadlocks for good (lancedb/lancedb#3568; on this
// 2-core machine from about 7k mixed-language chunks). The pool is created on first use, so setting
// the variable before any LanceDB work is enough; an operator's own value wins.
process.env.LANCE_CPU_THREADS ??= String(Math.max(2, availableParallelism() - 2))

export * from '@lancedb/lancedb'
