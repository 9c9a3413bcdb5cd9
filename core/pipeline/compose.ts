/** Middleware in the koa-compose shape: do work, await `next()` for the inner layers, do more. */
export type Middleware<C> = (context: C, next: () => Promise<void>) => Promise<void> | void

/**
 * Composes middlewares into one onion, koa-compose semantics: each runs in order around the next,
 * a middleware that does not call `next()` stops the chain, and calling it twice is an error.
 */
export function compose<C>(middlewares: readonly Middleware<C>[]): (context: C, last?: () => Promise<void>) => Promise<void> {
  return (context, last) => {
    let index = -1
    const dispatch = async (i: number): Promise<void> => {
      if (i <= index) throw new Error('next() called more than once')
      index = i
      const fn = i === middlewares.length ? last : middlewares[i]
      if (!fn) return
      await fn(context, () => dispatch(i + 1))
    }
    return dispatch(0)
  }
}
