// Ticket vocabulary for the panel. A copy of TICKET_PRIORITIES, TICKET_STATUSES and
// TICKET_TRANSITIONS in core/support/types.ts (the page has no build step to import them); the
// server checks every move anyway, and core/console/public.test.ts fails when the copies drift.

export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'urgent']

export const TICKET_STATUSES = ['open', 'in_progress', 'pending', 'resolved', 'closed']

export const TICKET_TRANSITIONS = {
  open: ['in_progress', 'pending', 'resolved', 'closed'],
  in_progress: ['pending', 'resolved'],
  pending: ['in_progress', 'resolved'],
  resolved: ['open', 'closed'],
  closed: [],
}

export const statusLabel = (status) => status.replace('_', ' ')
