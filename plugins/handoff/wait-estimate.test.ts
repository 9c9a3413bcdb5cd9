import { describe, expect, it } from 'vitest'
import { expectedWaitMinutes, minutesPerPosition } from './wait-estimate.js'

const waited = (minutes: number) => ({ queuedAt: new Date(0), assignedAt: new Date(minutes * 60_000) })

describe('the wait a customer is quoted', () => {
  it('uses the configured minutes per place until enough handoffs were taken to trust their median', () => {
    expect(minutesPerPosition([waited(10), waited(12)], 2)).toBe(2)
    expect(minutesPerPosition([waited(1), waited(3), waited(2), waited(9), waited(2)], 2)).toBe(2)
    expect(minutesPerPosition([waited(1), waited(3), waited(4), waited(9), waited(5), waited(6)], 2)).toBe(4.5)
  })

  it('scales with the place in line and never promises less than a minute', () => {
    expect(expectedWaitMinutes(3, 1.5)).toBe(5)
    expect(expectedWaitMinutes(1, 0.1)).toBe(1)
  })
})
