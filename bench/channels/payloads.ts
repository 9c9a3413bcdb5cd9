import { TeamsActivities } from '../../test/fakes/bot-framework-activities.js'

/**
 * What the load generator posts: one conversation per closed loop, each message's text `msg <n>`
 * (n counts per conversation), so the sink can tell which message a reply `echo: msg <n>` answers.
 */
export interface Conversation {
  /** How replies name it: the chat id (Telegram) or the conversation id (Teams). */
  key: string
  body(seq: number): string
  /** Headers of every post in this conversation, besides content type and length. */
  headers: Record<string, string>
}

export const messageText = (seq: number) => `msg ${seq}`
export const replyPattern = /^echo: msg (\d+)$/

/** Private chats, as Telegram posts a text message to a webhook (shape of Bot API 7.x updates). */
export function telegramConversations(count: number, secret: string): Conversation[] {
  let updateId = 100_000
  return Array.from({ length: count }, (_, i) => {
    const id = 700_000_000 + i
    const from = { id, is_bot: false, first_name: 'Bench', last_name: `User ${i}`, username: `bench_user_${i}`, language_code: 'en' }
    const chat = { id, first_name: 'Bench', last_name: `User ${i}`, username: `bench_user_${i}`, type: 'private' }
    return {
      key: String(id),
      headers: { 'x-telegram-bot-api-secret-token': secret },
      body: (seq) =>
        JSON.stringify({ update_id: updateId++, message: { message_id: seq, from, chat, date: Math.floor(Date.now() / 1000), text: messageText(seq) } }),
    }
  })
}

/**
 * 1:1 chats with the bot, activities built by the Bot Framework fake's builder (ids, timestamps,
 * tenant, clientInfo entity as Teams sends them). Each carries a channel JWT minted once per
 * conversation; the server still validates it on every request.
 */
export function teamsConversations(count: number, place: { serviceUrl: string; appId: string; tenantId: string }, tokens: string[]): Conversation[] {
  const activities = new TeamsActivities({ ...place, botName: 'Switchboard', know: () => {}, typeOf: () => undefined })
  return Array.from({ length: count }, (_, i) => {
    const from = activities.userNamed(`Bench User ${i}`)
    const conversationId = activities.personalConversationWith(from)
    return {
      key: conversationId,
      headers: { authorization: `Bearer ${tokens[i]}` },
      body: (seq) => JSON.stringify(activities.message({ conversationId, conversationType: 'personal', from, text: messageText(seq) })),
    }
  })
}
