import { describe, expect, it } from 'vitest'
import { SendProgress } from './send-progress.js'

describe('remembering how far a reply got', () => {
  it('resumes where a reply stopped and forgets it once it is done', () => {
    const progress = new SendProgress<number>()
    progress.keep('reply-1', 2)
    expect(progress.get('reply-1')).toBe(2)
    progress.forget('reply-1')
    expect(progress.get('reply-1')).toBeUndefined()
  })

  it('forgets the reply that stopped longest ago when it holds too many', () => {
    const progress = new SendProgress<number>(2)
    progress.keep('a', 1)
    progress.keep('b', 1)
    progress.keep('a', 2)
    progress.keep('c', 1)
    expect([progress.get('a'), progress.get('b'), progress.get('c')]).toEqual([2, undefined, 1])
  })
})
