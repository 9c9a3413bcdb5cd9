import { randomUUID } from 'node:crypto'

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/

/** The caller's X-Request-Id when it is safe to log, otherwise a fresh one. */
export const requestIdFrom = (header: string | string[] | undefined): string => (typeof header === 'string' && SAFE.test(header) ? header : randomUUID())
