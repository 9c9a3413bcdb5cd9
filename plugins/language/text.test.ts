import { describe, expect, it } from 'vitest'
import { detectLanguage, hasCjk, normalise } from './text.js'

describe('detectLanguage', () => {
  it('tells Chinese from English, and mixed messages by what dominates', () => {
    expect(detectLanguage('where is my order')).toBe('en')
    expect(detectLanguage('我的订单到哪了')).toBe('zh')
    expect(detectLanguage('我的order还没到')).toBe('zh')
    expect(detectLanguage('the app shows 错误 when I log in')).toBe('en')
    expect(detectLanguage('转人工 pls')).toBe('zh')
    expect(detectLanguage('👍')).toBe('en')
    expect(detectLanguage('')).toBe('en')
  })

  it('leaves the helpers the rules plugin uses as they were', () => {
    expect(normalise('ＡＢＣ')).toBe('abc')
    expect(hasCjk('hello 你好')).toBe(true)
    expect(hasCjk('hello')).toBe(false)
  })
})
