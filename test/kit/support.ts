import { afterEach, beforeEach } from 'vitest'
import type { Clock } from '../../core/clock.js'
import { ConversationRepository } from '../../core/store/conversations.js'
import { CustomerRepository } from '../../core/support/customers.js'
import { HandoffRepository } from '../../core/support/handoffs.js'
import { NoteRepository } from '../../core/support/notes.js'
import { TicketRepository } from '../../core/support/tickets.js'
import type { Actor } from '../../core/support/types.js'
import type { TestDatabase } from '../databases.js'

/** A clock tests move by hand: SLA clocks and waiting times without sleeping. */
export class ManualClock implements Clock {
  constructor(private at = Date.parse('2030-01-07T09:00:00Z')) {}
  now(): number {
    return this.at
  }
  advance(ms: number): Date {
    this.at += ms
    return this.date()
  }
  date(): Date {
    return new Date(this.at)
  }
}

export const agent = (id: string, name = id): Actor => ({ type: 'key', id, name })

/** The support repositories on one test database, with a hand-moved clock. */
export function supportDesk(t: TestDatabase) {
  const clock = new ManualClock()
  const conversations = new ConversationRepository(t.db)
  return {
    clock,
    conversations,
    customers: new CustomerRepository(t.db, clock),
    tickets: new TicketRepository(t.db, clock),
    handoffs: new HandoffRepository(t.db, clock),
    notes: new NoteRepository(t.db, clock),
    /** A web-chat (or other channel's) conversation of `user`. */
    conversation: (tenant: string, user: string, channel = 'websocket', instance = 'web') =>
      conversations.ensure({ tenant, channel, instance, externalId: user, userId: user }),
  }
}

/** A fresh database and support desk for every test of the suite, dropped after it. */
export function deskPerTest(open: () => Promise<TestDatabase>) {
  const world = {} as { t: TestDatabase; desk: ReturnType<typeof supportDesk> }
  beforeEach(async () => {
    world.t = await open()
    world.desk = supportDesk(world.t)
  })
  afterEach(() => world.t.drop())
  return world
}
