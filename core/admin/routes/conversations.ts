import { z } from 'zod'
import { sbError } from '../../errors.js'
import type { ConversationRepository } from '../../store/conversations.js'
import type { TranscriptRepository } from '../../store/transcript.js'
import { defineRoute } from '../http/route.js'
import { Limit, TenantParams, Text, When } from './schemas.js'

const Search = z
  .object({
    user: Text(200).optional().describe('User id, platform id or display name'),
    from: When.optional().describe('Active at or after (ISO 8601)'),
    to: When.optional().describe('Started before (ISO 8601)'),
    q: Text(200).optional().describe('Text said in the conversation (matched literally, case-insensitive)'),
    channel: Text(64).optional(),
    limit: Limit(500, 50),
  })
  .strict()

const Conversation = z.object({
  id: z.string(),
  channel: z.string(),
  instance: z.string(),
  externalId: z.string(),
  userId: z.string(),
  userName: z.string().nullable(),
  locale: z.string().nullable(),
  status: z.string(),
  createdAt: z.date(),
  lastActivityAt: z.date(),
})
const Message = z.object({
  id: z.string(),
  conversationId: z.string(),
  direction: z.enum(['in', 'out']),
  turnId: z.string(),
  seq: z.number().nullable(),
  senderId: z.string(),
  senderRole: z.string(),
  kind: z.string(),
  text: z.string(),
  parts: z.array(z.unknown()),
  annotations: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
})

const searchFilter = (q: z.output<typeof Search>) => ({ user: q.user, from: q.from, to: q.to, text: q.q, channel: q.channel, limit: q.limit })
const MAX_TRANSCRIPT = 10_000

export function conversationRoutes(deps: { conversations: ConversationRepository; transcript: TranscriptRepository }) {
  return [
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/conversations',
      tag: 'conversations',
      summary: 'Search conversations by user, date and text',
      action: 'conversation.search',
      permission: 'conversations:read',
      params: TenantParams,
      query: Search,
      response: z.object({ conversations: z.array(Conversation) }),
      handler: async ({ tenantId, query }) => ({ body: { conversations: await deps.conversations.search(tenantId!, searchFilter(query)) } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/conversations/:conversation',
      tag: 'conversations',
      summary: 'A conversation with its transcript and the bot’s annotations',
      action: 'conversation.get',
      permission: 'conversations:read',
      params: TenantParams.extend({ conversation: Text(100) }),
      query: z.object({ limit: Limit(MAX_TRANSCRIPT, 500) }).strict(),
      response: z.object({ conversation: Conversation, messages: z.array(Message) }),
      handler: async ({ tenantId, params, query }) => {
        const conversation = await deps.conversations.get(tenantId!, params.conversation)
        if (!conversation) throw sbError('SB_ERR_NOT_FOUND')
        return { body: { conversation, messages: await deps.transcript.history(tenantId!, conversation.id, query.limit) }, audit: { target: `conversation:${conversation.id}` } }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tenants/:tenant/exports/conversations.jsonl',
      tag: 'conversations',
      summary: 'Export matching conversations’ transcripts, one message per line (audited)',
      action: 'conversation.export',
      permission: 'conversations:export',
      params: TenantParams,
      query: Search.extend({ limit: Limit(10_000, 1000) }),
      produces: 'application/x-ndjson',
      response: Message,
      handler: async ({ tenantId, query }) => {
        const tenant = tenantId!
        const found = await deps.conversations.search(tenant, searchFilter(query))
        async function* lines() {
          for (const c of found) for (const message of await deps.transcript.history(tenant, c.id, MAX_TRANSCRIPT)) yield message
        }
        return { lines: lines(), filename: `${tenant}-conversations.jsonl`, audit: { details: { conversations: found.length, filter: { ...query, from: query.from?.toISOString(), to: query.to?.toISOString() } } } }
      },
    }),
  ]
}
