import { TeamsActivities } from '../../test/fakes/bot-framework-activities.js'

/** Where the load goes: a subject's port and the webhook path it was configured with. */
export interface Target {
  port: number
  path: string
}

/** One webhook request as the platform makes it. */
export interface Post {
  /** Path and query string. */
  path: string
  body: string
  /** Content type included. */
  headers: Record<string, string>
}

/** A 2xx webhook answer. */
export interface Answer {
  body: string
  contentType: string
}

/**
 * What a 2xx webhook answer means to the platform: nothing more to do (the reply comes through
 * the sink), the reply itself (a WeChat passive reply, TwiML's `<Say>`), another post to make for
 * the same message (TwiML's `<Gather>` after a greeting, a filler's `<Redirect>`), or an answer the
 * platform would not accept.
 */
export type Reading = { reply?: string } | { next: Post; redirect: boolean } | { problem: string }

/**
 * What the load generator posts: one conversation per closed loop, each message's text `msg <n>`
 * (n counts per conversation), so a reply `echo: msg <n>` tells which message it answers.
 */
export interface Conversation {
  /** How replies at the sink name it: the chat id (Telegram), the conversation id (Teams), the openid (WeChat). */
  key: string
  post(seq: number, target: Target): Post
  /** For platforms whose webhook answers carry meaning; without it only the status counts. */
  read?(answer: Answer, target: Target, post: Post): Reading
}

export const messageText = (seq: number) => `msg ${seq}`
export const replyPattern = /^echo: msg (\d+)$/

const json = (target: Target, body: string, headers: Record<string, string>): Post => ({ path: target.path, body, headers: { 'content-type': 'application/json', ...headers } })

/** Private chats, as Telegram posts a text message to a webhook (shape of Bot API 7.x updates). */
export function telegramConversations(count: number, secret: string): Conversation[] {
  let updateId = 100_000
  return Array.from({ length: count }, (_, i) => {
    const id = 700_000_000 + i
    const from = { id, is_bot: false, first_name: 'Bench', last_name: `User ${i}`, username: `bench_user_${i}`, language_code: 'en' }
    const chat = { id, first_name: 'Bench', last_name: `User ${i}`, username: `bench_user_${i}`, type: 'private' }
    const headers = { 'x-telegram-bot-api-secret-token': secret }
    return {
      key: String(id),
      post: (seq, target) =>
        json(target, JSON.stringify({ update_id: updateId++, message: { message_id: seq, from, chat, date: Math.floor(Date.now() / 1000), text: messageText(seq) } }), headers),
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
    const headers = { authorization: `Bearer ${tokens[i]}` }
    return {
      key: conversationId,
      post: (seq, target) => json(target, JSON.stringify(activities.message({ conversationId, conversationType: 'personal', from, text: messageText(seq) })), headers),
    }
  })
}
