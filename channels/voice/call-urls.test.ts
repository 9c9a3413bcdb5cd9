import { describe, expect, it } from 'vitest'
import { CallUrls, pickupOf, stepOf } from './call-urls.js'

const urls = new CallUrls((route) => `https://voice.acme.example/sb/t/acme/phone${route}`)
const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams)

describe('the URLs a call continues at', () => {
  it('carries the step in the query, in a fixed order, on the public base URL', () => {
    expect(urls.incoming()).toBe('https://voice.acme.example/sb/t/acme/phone/incoming')
    expect(urls.status()).toBe('https://voice.acme.example/sb/t/acme/phone/status')
    expect(urls.turn({ after: 0, n: 1 })).toBe('https://voice.acme.example/sb/t/acme/phone/turn?after=0&n=1')
    expect(urls.turn({ after: 12, n: 4, low: 1, quiet: 2, menu: 11 })).toBe('https://voice.acme.example/sb/t/acme/phone/turn?after=12&n=4&low=1&quiet=2&menu=11')
    expect(urls.dial({ after: 12, n: 5, low: 0, quiet: 0 })).toBe('https://voice.acme.example/sb/t/acme/phone/dial?after=12&n=5')
    expect(urls.pickup({ after: 3, n: 2, turn: 't_0lx4c0z8g0000Ab-_9', try: 1 })).toBe('https://voice.acme.example/sb/t/acme/phone/pickup?after=3&n=2&turn=t_0lx4c0z8g0000Ab-_9&try=1')
  })

  it('reads back exactly the step it wrote', () => {
    const step = { after: 12, n: 4, low: 1, quiet: 2, menu: 11 }
    expect(stepOf(queryOf(urls.turn(step)))).toEqual(step)
    const pickup = { after: 3, n: 2, turn: 't_0lx4c0z8g0000Ab-_9', try: 2 }
    expect(pickupOf(queryOf(urls.pickup(pickup)))).toEqual(pickup)
  })

  it.each([
    ['no step at all', {}, 'query.after'],
    ['a step that is not a number', { after: '1e3', n: '1' }, 'query.after'],
    ['step zero', { after: '0', n: '0' }, 'query.n'],
    ['a repeated parameter', { after: ['1', '2'], n: '1' }, 'query.after'],
    ['a parameter it never writes', { after: '1', n: '1', debug: 'true' }, 'query'],
    ['a pickup without its turn', { after: '1', n: '1', try: '1' }, 'query.turn'],
  ])('refuses %s with 400, naming the parameter', (name, query, path) => {
    const read = name.startsWith('a pickup') ? pickupOf : stepOf
    expect(() => read(query)).toThrow(expect.objectContaining({ status: 400, details: expect.arrayContaining([expect.objectContaining({ path })]) }))
  })
})
