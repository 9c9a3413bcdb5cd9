import { describe, expect, it } from 'vitest'
import { TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TRANSITIONS } from '../support/types.js'

// The console page has no build step, so it carries copies of a few core facts; these tests
// hold the copies to the originals, and check the page's pure helpers.
const load = (file: string) => import(new URL(`./public/${file}`, import.meta.url).href)

describe('the console page’s own copies and helpers', () => {
  it('offers exactly the ticket priorities, statuses and moves the server allows', async () => {
    const page = await load('tickets.js')
    expect(page.TICKET_PRIORITIES).toEqual(TICKET_PRIORITIES)
    expect(page.TICKET_STATUSES).toEqual(TICKET_STATUSES)
    expect(page.TICKET_TRANSITIONS).toEqual(TICKET_TRANSITIONS)
  })

  it('puts what the bot made of a message into words', async () => {
    const { annotationLines } = await load('conversation.js')
    expect(
      annotationLines({
        intent: 'human_agent',
        confidence: 0.93,
        sentiment: 'negative',
        sentimentScore: -0.6,
        sources: [{ source: 'faq.md', title: 'Refunds' }, { source: 'shipping.md' }],
        escalate: true,
        escalateReason: 'asked_for_human',
      }),
    ).toEqual(['intent human_agent (93%)', 'sentiment negative (-0.6)', 'sources: Refunds, shipping.md', 'escalated: asked_for_human'])
    expect(annotationLines({})).toEqual([])
  })

  it('runs the SLA clock against first response, then resolution, and says when it is breached', async () => {
    const { slaClock } = await load('panels.js')
    const now = Date.parse('2030-01-01T12:00:00Z')
    const ticket = { status: 'open', firstRespondedAt: null, firstResponseDueAt: '2030-01-01T12:10:30Z', resolveDueAt: '2030-01-01T11:00:00Z' }
    expect(slaClock(ticket, now)).toEqual({ text: 'First response due in 10m 30s', breached: false })
    expect(slaClock({ ...ticket, firstRespondedAt: '2030-01-01T11:58:00Z' }, now)).toEqual({ text: 'Resolution overdue by 1h 00m', breached: true })
    expect(slaClock({ ...ticket, status: 'resolved' }, now)).toMatchObject({ breached: false })
  })
})
