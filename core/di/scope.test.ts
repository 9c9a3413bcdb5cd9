import { describe, expect, it } from 'vitest'
import { Scope } from './scope.js'

describe('Scope', () => {
  it('undoes effects in reverse order, once', async () => {
    const calls: string[] = []
    const scope = new Scope('t')
    await scope.effect(() => () => void calls.push('a'))
    await scope.effect(async () => () => void calls.push('b'))
    scope.onDispose(() => void calls.push('c'))
    await Promise.all([scope.dispose(), scope.dispose()])
    expect(calls).toEqual(['c', 'b', 'a'])
    expect(scope.size).toBe(0)
    expect(scope.signal.aborted).toBe(true)
  })

  it('disposes children with the parent and keeps going when an undo throws', async () => {
    const errors: string[] = []
    const calls: string[] = []
    const scope = new Scope('root', (_e, label) => errors.push(label))
    const child = scope.child('instance')
    child.onDispose(() => void calls.push('child'))
    scope.onDispose(() => {
      throw new Error('boom')
    }, 'broken')
    scope.onDispose(() => void calls.push('last'))
    await scope.dispose()
    expect(calls).toEqual(['last', 'child'])
    expect(errors).toEqual(['root:broken'])
    expect(child.disposed).toBe(true)
  })

  it('refuses new effects after dispose but still runs late undos', async () => {
    const scope = new Scope('t')
    await scope.dispose()
    await expect(scope.effect(() => undefined, 'timer')).rejects.toThrow(/disposed/)
    let undone = false
    scope.onDispose(() => {
      undone = true
    })
    await new Promise((r) => setTimeout(r, 0))
    expect(undone).toBe(true)
  })
})
